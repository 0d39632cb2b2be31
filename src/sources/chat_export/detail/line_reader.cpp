#include "sources/chat_export/detail/line_reader.hpp"

#include "core/utf8.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cv::chat_export::detail {

namespace {

// First '\n' in [p, p + n), or null. Lines average ~80 bytes, so libc memchr's per-call set-up
// shows in profiles; an inline 16-byte SSE2 scan does not have it.
const char* find_newline(const char* p, std::size_t n)
{
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        if (const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)))
            return p + i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
    return static_cast<const char*>(std::memchr(p + i, '\n', n - i));
#else
    return static_cast<const char*>(std::memchr(p, '\n', n));
#endif
}

}  // namespace

LineReader::LineReader(std::unique_ptr<ByteSource> source, Utf8Check check, std::size_t buffer_bytes)
    : source_(std::move(source)), check_(check), buf_(buffer_bytes)
{
}

bool LineReader::fill()
{
    if (eof_)
        return false;
    begin_ = 0;
    end_ = 0;
    auto n = source_->read(std::span<char>(buf_.data(), buf_.size()));
    if (!n) {
        error_ = std::move(n).error();
        eof_ = true;
        return false;
    }
    if (*n == 0) {
        eof_ = true;
        return false;
    }
    end_ = *n;
    bytes_read_ += *n;
    // Validate the buffer up to its last newline in one pass (no UTF-8 sequence can span a
    // newline): one long SIMD run instead of a call per line. If anything there is invalid,
    // leave it to the caller to check line by line and report where.
    valid_until_ = 0;
    if (check_ == Utf8Check::PerBuffer) {
        if (const auto* last_nl = static_cast<const char*>(memrchr(buf_.data(), '\n', end_))) {
            const auto upto = static_cast<std::size_t>(last_nl - buf_.data()) + 1;
            if (utf8::first_invalid(std::string_view(buf_.data(), upto)) == std::string_view::npos)
                valid_until_ = upto;
        }
    }
    return true;
}

bool LineReader::next(Line& line)
{
    line.truncated = false;
    line.valid_utf8 = false;
    spill_.clear();
    bool spilled = false;
    for (;;) {
        if (begin_ == end_ && !fill()) {
            if (!spilled)
                return false;
            line.text = spill_;  // last line without a final newline
            break;
        }
        const char* start = buf_.data() + begin_;
        const auto avail = end_ - begin_;
        const char* nl = find_newline(start, avail);
        if (nl != nullptr) {
            const auto len = static_cast<std::size_t>(nl - start);
            begin_ += len + 1;
            if (!spilled) {
                line.text = std::string_view(start, len);
                line.valid_utf8 = begin_ <= valid_until_;
                break;
            }
            if (spill_.size() < kMaxLineBytes)
                spill_.append(start, std::min(len, kMaxLineBytes - spill_.size()));
            if (spill_.size() + len > kMaxLineBytes)
                line.truncated = true;
            line.text = spill_;
            break;
        }
        // No newline in what is buffered: keep it (up to the limit) and read on.
        spilled = true;
        if (spill_.size() < kMaxLineBytes) {
            spill_.append(start, std::min(avail, kMaxLineBytes - spill_.size()));
        }
        if (spill_.size() >= kMaxLineBytes)
            line.truncated = true;
        begin_ = end_;
    }
    line.had_crlf = !line.text.empty() && line.text.back() == '\r';
    if (line.had_crlf)
        line.text.remove_suffix(1);
    line.number = ++number_;
    return true;
}

}  // namespace cv::chat_export::detail

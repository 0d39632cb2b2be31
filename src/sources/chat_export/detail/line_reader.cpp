#include "sources/chat_export/detail/line_reader.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cv::chat_export::detail {

namespace {

// The buffer is indexed this many bytes at a time (the index then stays in L1), 64 per step.
constexpr std::size_t kStretch = 4096;
constexpr std::size_t kBlock = 64;

// Bit i set when p[i] is '\n', for the 64 bytes at p.
std::uint64_t newline_bits(const char* p)
{
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    std::uint64_t bits = 0;
    for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        bits |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))))
                << (16 * k);
    }
    return bits;
#else
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < kBlock; ++i)
        bits |= static_cast<std::uint64_t>(p[i] == '\n') << i;
    return bits;
#endif
}

// std::popcount without -mpopcnt (not in the x86-64 baseline) is a call into libgcc; this is
// the same SWAR count inline.
int count_bits(std::uint64_t x)
{
#if defined(__POPCNT__)
    return std::popcount(x);
#else
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
#endif
}

}  // namespace

LineReader::LineReader(std::unique_ptr<ByteSource> source, Utf8Check check, std::size_t buffer_bytes)
    : source_(std::move(source)), check_(check), capacity_(buffer_bytes), buf_(buffer_bytes + kBlock),
      newlines_(kStretch + 8)
{
}

void LineReader::index_newlines()
{
    const std::size_t stop = std::min(end_, scanned_ + kStretch);
    newline_count_ = 0;
    newline_next_ = 0;
    for (std::size_t at = scanned_; at < stop; at += kBlock) {
        std::uint64_t bits = newline_bits(buf_.data() + at);
        if (stop - at < kBlock)
            bits &= (std::uint64_t{1} << (stop - at)) - 1;  // bytes past the data are stale
        // Lines are longer than 64 bytes on average: write four offsets whatever the count and keep
        // popcount of them, which takes no branch on where the newlines are.
        const auto count = static_cast<std::size_t>(count_bits(bits));
        std::uint32_t* out = newlines_.data() + newline_count_;
        for (int k = 0; k < 4; ++k) {
            out[k] = static_cast<std::uint32_t>(at + static_cast<std::size_t>(std::countr_zero(bits)));
            bits &= bits - 1;
        }
        for (std::size_t k = 4; k < count; ++k) {
            out[k] = static_cast<std::uint32_t>(at + static_cast<std::size_t>(std::countr_zero(bits)));
            bits &= bits - 1;
        }
        newline_count_ += count;
    }
    scanned_ = stop;
}

const char* LineReader::next_newline()
{
    while (newline_next_ == newline_count_) {
        if (scanned_ >= end_)
            return nullptr;
        index_newlines();
    }
    return buf_.data() + newlines_[newline_next_++];
}

bool LineReader::fill()
{
    if (eof_)
        return false;
    begin_ = 0;
    end_ = 0;
    scanned_ = 0;
    newline_count_ = 0;
    newline_next_ = 0;
    auto n = source_->read(std::span<char>(buf_.data(), capacity_));
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
        const char* nl = next_newline();
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

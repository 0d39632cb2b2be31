#include "sources/chat_export/detail/line_reader.hpp"

#include <cstring>

namespace cv::chat_export::detail {

LineReader::LineReader(std::unique_ptr<ByteSource> source, std::size_t buffer_bytes)
    : source_(std::move(source)), buf_(buffer_bytes)
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
    return true;
}

bool LineReader::next(Line& line)
{
    line.truncated = false;
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
        const auto* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
        if (nl != nullptr) {
            const auto len = static_cast<std::size_t>(nl - start);
            begin_ += len + 1;
            if (!spilled) {
                line.text = std::string_view(start, len);
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

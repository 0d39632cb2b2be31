#include "cli/json_writer.hpp"

#include <fmt/format.h>

namespace cv::cli {

void JsonWriter::comma()
{
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (need_comma_)
        buf_ += ',';
}

void JsonWriter::open(char c)
{
    comma();
    buf_ += c;
    need_comma_ = false;
}

void JsonWriter::close(char c)
{
    buf_ += c;
    need_comma_ = true;
}

void JsonWriter::key(std::string_view k)
{
    comma();
    buf_ += '"';
    buf_.append(k);
    buf_ += "\":";
    after_key_ = true;
}

void JsonWriter::string(std::string_view v)
{
    comma();
    buf_ += '"';
    // Copy runs of characters that need no escape in one append; the input is valid UTF-8
    // (the reader repairs it), so only '"', '\\' and control characters are escaped.
    std::size_t run = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_.append(v.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buf_ += "\\\""; break;
        case '\\': buf_ += "\\\\"; break;
        case '\n': buf_ += "\\n"; break;
        case '\r': buf_ += "\\r"; break;
        case '\t': buf_ += "\\t"; break;
        default: fmt::format_to(std::back_inserter(buf_), "\\u{:04x}", c); break;
        }
    }
    buf_.append(v.data() + run, v.size() - run);
    buf_ += '"';
    need_comma_ = true;
}

void JsonWriter::number(std::int64_t v)
{
    comma();
    fmt::format_to(std::back_inserter(buf_), "{}", v);
    need_comma_ = true;
}

void JsonWriter::boolean(bool v)
{
    comma();
    buf_ += v ? "true" : "false";
    need_comma_ = true;
}

void JsonWriter::null()
{
    comma();
    buf_ += "null";
    need_comma_ = true;
}

void JsonWriter::end_line()
{
    buf_ += '\n';
    need_comma_ = false;
    after_key_ = false;
    if (buf_.size() >= kFlushAt)
        flush();
}

void JsonWriter::flush()
{
    if (!buf_.empty()) {
        std::fwrite(buf_.data(), 1, buf_.size(), out_);
        buf_.clear();
    }
    std::fflush(out_);
}

}  // namespace cv::cli

#pragma once
/// A buffered JSON Lines writer for stdout. Hand-written because it is on the parse command's
/// hot path (hundreds of MB of output) and only ever writes flat objects of strings, numbers
/// and booleans; a DOM library would build every item in memory first.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cv::cli {

class JsonWriter {
public:
    explicit JsonWriter(std::FILE* out) : out_(out) { buf_.reserve(kFlushAt + 4096); }
    ~JsonWriter() { flush(); }
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array(std::string_view key) { this->key(key); open('['); }
    void end_array() { close(']'); }

    void key(std::string_view k);
    void string(std::string_view v);          ///< an element or a value after key()
    /// A string known to need no escaping (timestamps, enum names): copied as is.
    void plain_string(std::string_view v);
    void number(std::int64_t v);
    void boolean(bool v);
    void null();

    void field(std::string_view k, std::string_view v) { key(k); string(v); }
    void plain_field(std::string_view k, std::string_view v) { key(k); plain_string(v); }
    void field(std::string_view k, std::int64_t v) { key(k); number(v); }
    void field(std::string_view k, bool v) { key(k); boolean(v); }

    /// Ends the current line (one JSON document) and flushes when the buffer is large.
    void end_line();
    void flush();

private:
    static constexpr std::size_t kFlushAt = 1u << 16;
    void comma();
    void open(char c);
    void close(char c);

    std::FILE* out_;
    std::string buf_;
    bool need_comma_ = false;
    bool after_key_ = false;
};

}  // namespace cv::cli

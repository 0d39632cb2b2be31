#pragma once
/// A buffered JSON Lines writer for stdout. Hand-written because it is on the parse command's
/// hot path (hundreds of MB of output) and only ever writes flat objects of strings, numbers
/// and booleans; a DOM library would build every item in memory first. Appends go into one
/// fixed buffer through inline memcpy, flushed when full; reserve()/commit() let a caller
/// format a whole run straight into that buffer with one capacity check.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

namespace cv::cli {

class JsonWriter {
public:
    explicit JsonWriter(std::FILE* out) : out_(out), buf_(new char[kCapacity]) {}
    ~JsonWriter() { flush(); }
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array(std::string_view key)
    {
        this->key(key);
        open('[');
    }
    void end_array() { close(']'); }

    void key(std::string_view k)
    {
        comma();
        put('"');
        append(k);
        append("\":");
        after_key_ = true;
    }
    void string(std::string_view v);  ///< an element or a value after key(); escaped
    /// A string known to need no escaping (timestamps, enum names): copied as is.
    void plain_string(std::string_view v)
    {
        comma();
        put('"');
        append(v);
        put('"');
        need_comma_ = true;
    }
    void number(std::int64_t v);
    void boolean(bool v)
    {
        comma();
        append(v ? std::string_view("true") : std::string_view("false"));
        need_comma_ = true;
    }
    void null()
    {
        comma();
        append("null");
        need_comma_ = true;
    }

    void field(std::string_view k, std::string_view v)
    {
        key(k);
        string(v);
    }
    void field(std::string_view k, std::int64_t v)
    {
        key(k);
        number(v);
    }
    void field(std::string_view k, bool v)
    {
        key(k);
        boolean(v);
    }
    void plain_field(std::string_view k, std::string_view v)
    {
        key(k);
        plain_string(v);
    }

    /// Raw JSON text (a precomposed run such as `,"line":`), copied as is; the caller keeps
    /// the document well-formed. `then_value` says whether a value follows (no comma before it).
    void literal(std::string_view json, bool then_value)
    {
        append(json);
        after_key_ = then_value;
        need_comma_ = !then_value;
    }

    /// Ends the current line (one JSON document).
    void end_line()
    {
        put('\n');
        need_comma_ = false;
        after_key_ = false;
    }
    void flush();

    /// The buffer's size: the most reserve() can give.
    static constexpr std::size_t kCapacity = 1u << 18;

    /// Room for `n` bytes (n <= kCapacity) at the returned pointer, flushing first if needed.
    /// Write JSON text there, then hand the end to commit() before any other call.
    char* reserve(std::size_t n)
    {
        if (n > kCapacity - size_)
            flush_buffer();
        return buf_.get() + size_;
    }
    /// Ends a reserve()d run at `end`; as literal(), `then_value` says whether a value follows.
    void commit(char* end, bool then_value)
    {
        size_ = static_cast<std::size_t>(end - buf_.get());
        after_key_ = then_value;
        need_comma_ = !then_value;
    }

private:
    void put(char c)
    {
        if (size_ == kCapacity)
            flush_buffer();
        buf_[size_++] = c;
    }
    void append(std::string_view s)
    {
        if (s.size() > kCapacity - size_) {
            flush_buffer();
            if (s.size() > kCapacity) {  // a long message body: straight through
                std::fwrite(s.data(), 1, s.size(), out_);
                return;
            }
        }
        std::memcpy(buf_.get() + size_, s.data(), s.size());
        size_ += s.size();
    }
    void comma()
    {
        if (after_key_)
            after_key_ = false;
        else if (need_comma_)
            put(',');
    }
    void open(char c)
    {
        comma();
        put(c);
        need_comma_ = false;
    }
    void close(char c)
    {
        put(c);
        need_comma_ = true;
    }
    void flush_buffer()
    {
        std::fwrite(buf_.get(), 1, size_, out_);
        size_ = 0;
    }

    std::FILE* out_;
    std::unique_ptr<char[]> buf_;
    std::size_t size_ = 0;
    bool need_comma_ = false;
    bool after_key_ = false;
};

/// Writes `s` escaped as the inside of a JSON string (the same escapes as JsonWriter::string)
/// at `out` and returns the end. `out` needs room for escaped_bound(s.size()) bytes (it writes
/// whole 16-byte blocks, whose bytes past an escape are overwritten afterwards).
char* write_escaped(char* out, std::string_view s);
constexpr std::size_t escaped_bound(std::size_t n)
{
    return 6 * n + 16;  // "\u00XX" for every byte, and a block to spare
}

}  // namespace cv::cli

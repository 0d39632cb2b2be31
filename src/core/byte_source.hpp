#pragma once
/// Sequential byte streams: a plain file here; sources add their own (a zip entry in the
/// chat-export container). Readers pull chat text through them and the renderer pulls
/// attachment bytes, so neither ever holds a whole file.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/result.hpp"

namespace cv {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Reads up to buf.size() bytes; 0 means the end. Errors: Io, Parse (corrupt data),
    /// LimitExceeded (an entry that inflates past its declared size).
    virtual Result<std::size_t> read(std::span<char> buf) = 0;
};

/// Bytes held in memory as a stream (a vCard a phone database keeps in a column).
class StringSource final : public ByteSource {
public:
    explicit StringSource(std::string data) : data_(std::move(data)) {}
    Result<std::size_t> read(std::span<char> buf) override;

private:
    std::string data_;
    std::size_t pos_ = 0;
};

/// Opens a regular file for sequential reading. Errors: NotFound, Io.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::filesystem::path& path);

}  // namespace cv

#pragma once
/// A ByteSource that hands out its bytes in small, uneven pieces, so that whatever reads it
/// meets every buffer boundary.

#include <algorithm>
#include <cstring>
#include <string>

#include "core/byte_source.hpp"

namespace cv::testing {

class ChunkedSource final : public ByteSource {
public:
    ChunkedSource(std::string data, std::size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
    Result<std::size_t> read(std::span<char> buf) override
    {
        const auto n = std::min({buf.size(), chunk_, data_.size() - pos_});
        std::memcpy(buf.data(), data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    std::string data_;
    std::size_t chunk_;
    std::size_t pos_ = 0;
};

}  // namespace cv::testing

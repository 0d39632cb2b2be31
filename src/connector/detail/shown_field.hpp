#pragma once
/// A secret's field name as a message may show it. A key that does not look like a field name
/// may be a pasted secret ("c2VjcmV0==" read as `key=value`), so it is never repeated.

#include <algorithm>
#include <string>
#include <string_view>

namespace cv::connector::detail {

inline std::string shown_field(std::string_view key)
{
    const bool name_like =
        !key.empty() && key.size() <= 32 &&
        std::all_of(key.begin(), key.end(), [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; });
    return name_like ? "'" + std::string(key) + "'" : "a field that is not a secret's name";
}

}  // namespace cv::connector::detail

// Fuzz target for the attachment encoder: append_base64 (whole lines in AVX2 where the CPU has
// it) must give exactly what OpenSSL's encoder gives, for any bytes and any length.

#include <cstdint>
#include <string>
#include <string_view>

#include "render/detail/mime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string fast;
    std::string reference;
    cv::render::detail::append_base64(fast, in);
    cv::render::detail::append_base64_reference(reference, in);
    if (fast != reference)
        __builtin_trap();
    return 0;
}

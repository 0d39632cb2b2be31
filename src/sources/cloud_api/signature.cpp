#include "sources/cloud_api/cloud_api.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cv::cloud_api {

bool verify_signature(std::string_view app_secret, std::string_view raw_body, std::string_view header_value)
{
    constexpr std::string_view kPrefix = "sha256=";
    if (app_secret.empty() || header_value.size() != kPrefix.size() + 64 ||
        !header_value.starts_with(kPrefix))
        return false;
    // Meta sends lower-case hex: anything else is not what it sent, so it is not accepted.
    unsigned char given[32];
    const std::string_view hex = header_value.substr(kPrefix.size());
    for (std::size_t i = 0; i < 32; ++i) {
        int v = 0;
        for (std::size_t k = 0; k < 2; ++k) {
            const char c = hex[2 * i + k];
            int d = -1;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            if (d < 0)
                return false;
            v = v * 16 + d;
        }
        given[i] = static_cast<unsigned char>(v);
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), app_secret.data(), static_cast<int>(app_secret.size()),
             reinterpret_cast<const unsigned char*>(raw_body.empty() ? "" : raw_body.data()), raw_body.size(),
             mac, &mac_len) == nullptr ||
        mac_len != 32)
        return false;
    return CRYPTO_memcmp(mac, given, 32) == 0;
}

}  // namespace cv::cloud_api

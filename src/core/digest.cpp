#include "core/digest.hpp"

#include <cstdlib>

#include <openssl/evp.h>

namespace cv {

// OpenSSL's SHA-256 uses the CPU's SHA extensions where present (about 5x libsodium's
// portable code here): every rendered item and every attachment byte goes through it.

namespace {

EVP_MD_CTX* as_ctx(void* p)
{
    return static_cast<EVP_MD_CTX*>(p);
}

// EVP_sha256() makes OpenSSL 3 look the implementation up again on every use (a locked
// provider search that costs more than hashing a Message-ID): fetch it once for the process.
const EVP_MD* sha256_md()
{
    static EVP_MD* const md = [] {
        EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (!m)
            std::abort();  // an OpenSSL without SHA-256: nothing sensible to do
        return m;
    }();
    return md;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new())
{
    if (!ctx_ || EVP_DigestInit_ex(as_ctx(ctx_), sha256_md(), nullptr) != 1)
        std::abort();  // out of memory, or an OpenSSL without SHA-256: nothing sensible to do
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(as_ctx(ctx_));
}

Sha256& Sha256::update(std::string_view bytes)
{
    EVP_DigestUpdate(as_ctx(ctx_), bytes.data(), bytes.size());
    return *this;
}

Sha256& Sha256::update(std::span<const std::uint8_t> bytes)
{
    EVP_DigestUpdate(as_ctx(ctx_), bytes.data(), bytes.size());
    return *this;
}

Sha256Digest Sha256::finish()
{
    Sha256Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(as_ctx(ctx_), out.data(), &len);
    return out;
}

Sha256Digest sha256(std::string_view bytes)
{
    Sha256Digest out{};
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, sha256_md(), nullptr);
    return out;
}

std::optional<Sha256Digest> sha256_from_hex(std::string_view hex)
{
    if (hex.size() != 64)
        return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    Sha256Digest d{};
    for (std::size_t i = 0; i < d.size(); ++i) {
        const int hi = nibble(hex[2 * i]);
        const int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return d;
}

std::string to_hex(std::span<const std::uint8_t> bytes)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0xF];
    }
    return out;
}

}  // namespace cv

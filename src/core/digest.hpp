#pragma once
/// SHA-256 (OpenSSL's libcrypto underneath; nothing outside digest.cpp sees it) and
/// lower-case hex.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cv {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// Incremental SHA-256: feed any number of pieces, then finish() once.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    Sha256& update(std::string_view bytes);
    Sha256& update(std::span<const std::uint8_t> bytes);
    Sha256Digest finish();

private:
    void* ctx_;  // EVP_MD_CTX, opaque so that callers need no OpenSSL headers
};

Sha256Digest sha256(std::string_view bytes);

/// Lower-case hexadecimal of any bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// The SHA-256 digest written as 64 hex digits (either case); nullopt for anything else.
std::optional<Sha256Digest> sha256_from_hex(std::string_view hex);

}  // namespace cv

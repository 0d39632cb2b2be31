#pragma once
/// The libsodium calls behind passwords, tokens and sessions, in one place.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cv::auth::detail {

/// libsodium initialised (once; thread-safe). False only when it cannot be (no entropy).
bool sodium_ready();

/// The hash verify_login checks an unknown user's password against: Argon2id with the same
/// parameters as every real one (a test keeps them equal), of a random password that was
/// thrown away. It belongs to no account and nothing ever accepts it.
std::string_view dummy_hash();

/// `n` random bytes from randombytes_buf, as lowercase hex / as base64url without padding.
std::string random_hex(std::size_t n);
std::string random_base64url(std::size_t n);

/// BLAKE2b-256 (crypto_generichash) of `bytes` keyed with a fixed context `purpose` (16 to 64
/// bytes, libsodium's key sizes), as 64 lowercase hex digits. For 256-bit random secrets, where a fast hash
/// is enough.
std::string keyed_hash_hex(std::string_view purpose, std::string_view bytes);

/// Constant-time equality of two strings of the same length (false if the lengths differ:
/// the length is not secret here).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace cv::auth::detail

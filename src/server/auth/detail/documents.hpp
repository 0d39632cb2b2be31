#pragma once
/// Users and tokens as the JSON documents the archive keeps (kinds "user" and "token"). They
/// are read back from the sealed store, but a damaged or hand-made one still gets an error
/// naming the field ("user 'ana': roles: unknown role 'admin'"), never a crash.

#include <string>
#include <string_view>

#include "server/auth/auth.hpp"

namespace cv::auth::detail {

inline constexpr std::string_view kUserKind = "user";
inline constexpr std::string_view kTokenKind = "token";

/// A token as stored: what tokens() lists, and the hash of its secret.
struct StoredToken {
    TokenInfo info;
    std::string secret_hash;  ///< BLAKE2b-256 of the secret, 64 lowercase hex digits
    friend bool operator==(const StoredToken&, const StoredToken&) = default;
};

std::string to_json(const User& user);
/// Errors: Parse, naming the user and the field.
Result<User> user_from_json(std::string_view json);
std::string to_json(const StoredToken& token);
/// Errors: Parse, naming the token and the field.
Result<StoredToken> token_from_json(std::string_view json);

/// Roles and scopes as lists of their names.
std::vector<std::string> role_names(std::span<const Role> roles);
std::vector<std::string> permission_names(std::span<const Permission> permissions);

}  // namespace cv::auth::detail

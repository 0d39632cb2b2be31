// libsodium behind passwords, tokens and sessions.

#include "server/auth/detail/secrets.hpp"

#include <vector>

#include <sodium.h>

namespace cv::auth::detail {

bool sodium_ready()
{
    static const bool ready = sodium_init() >= 0;
    return ready;
}

std::string_view dummy_hash()
{
    // Made once with crypto_pwhash_str_alg(OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE,
    // ALG_ARGON2ID13) from 32 random bytes nobody kept. A constant, not computed at start-up, so
    // that the first unknown name does not cost a hash more than a wrong password.
    return "$argon2id$v=19$m=65536,t=2,p=1$94gX+uzMgTJRIzgw/"
           "DHSVQ$9neja53zBq8NjaoLJniMieP+wz6+FIYZ6U0i334EGGQ";
}

std::string random_hex(std::size_t n)
{
    sodium_ready();
    std::vector<unsigned char> bytes(n);
    randombytes_buf(bytes.data(), n);
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), n);
    out.pop_back();
    sodium_memzero(bytes.data(), n);
    return out;
}

std::string random_base64url(std::size_t n)
{
    sodium_ready();
    std::vector<unsigned char> bytes(n);
    randombytes_buf(bytes.data(), n);
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(n, variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), n, variant);
    out.resize(out.size() - 1);  // the terminating NUL
    sodium_memzero(bytes.data(), n);
    return out;
}

std::string keyed_hash_hex(std::string_view purpose, std::string_view bytes)
{
    sodium_ready();
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size(), reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
    char hex[sizeof digest * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex, sizeof digest * 2);
}

bool equal_constant_time(std::string_view a, std::string_view b)
{
    if (a.size() != b.size() || a.empty())
        return a.size() == b.size() && a.empty();
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cv::auth::detail

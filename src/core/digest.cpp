#include "core/digest.hpp"

#include <cstdlib>

#include <sodium.h>

namespace cv {

namespace {

crypto_hash_sha256_state* as_state(std::array<std::uint8_t, 128>& storage)
{
    static_assert(sizeof(crypto_hash_sha256_state) <= 128);
    return reinterpret_cast<crypto_hash_sha256_state*>(storage.data());
}

void ensure_sodium()
{
    // sodium_init() picks the fastest implementations for this CPU; it is idempotent and
    // thread-safe, and only fails when the system has no entropy source at all.
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        std::abort();
}

}  // namespace

Sha256::Sha256()
{
    ensure_sodium();
    crypto_hash_sha256_init(as_state(state_));
}

Sha256& Sha256::update(std::string_view bytes)
{
    crypto_hash_sha256_update(as_state(state_), reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
    return *this;
}

Sha256& Sha256::update(std::span<const std::uint8_t> bytes)
{
    crypto_hash_sha256_update(as_state(state_), bytes.data(), bytes.size());
    return *this;
}

Sha256Digest Sha256::finish()
{
    Sha256Digest out{};
    crypto_hash_sha256_final(as_state(state_), out.data());
    return out;
}

Sha256Digest sha256(std::string_view bytes)
{
    return Sha256().update(bytes).finish();
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

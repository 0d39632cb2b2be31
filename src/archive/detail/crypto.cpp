#include "archive/detail/crypto.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <zstd.h>

namespace cv::archive::detail {

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES] = {'c', 'h', 'a', 't', 'v', 'l', 't', '1'};
enum Subkey : std::uint64_t { kRecords = 1, kStreams = 2, kNames = 3, kCheck = 4 };

void ensure_sodium()
{
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        std::abort();
}

Result<void> write_all(int fd, const std::uint8_t* p, std::size_t n, const std::filesystem::path& file)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(ErrorCode::Io,
                        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return {};
}

}  // namespace

struct Key::Material {
    std::array<std::uint8_t, kKeyBytes> records{};
    std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_KEYBYTES> streams{};
    std::array<std::uint8_t, crypto_generichash_KEYBYTES> names{};
    std::array<std::uint8_t, crypto_generichash_KEYBYTES> check{};

    explicit Material(const std::uint8_t* master)
    {
        crypto_kdf_derive_from_key(records.data(), records.size(), kRecords, kKdfContext, master);
        crypto_kdf_derive_from_key(streams.data(), streams.size(), kStreams, kKdfContext, master);
        crypto_kdf_derive_from_key(names.data(), names.size(), kNames, kKdfContext, master);
        crypto_kdf_derive_from_key(check.data(), check.size(), kCheck, kKdfContext, master);
    }
    ~Material() { sodium_memzero(this, sizeof *this); }
};

Key::Key(std::unique_ptr<Material> m) : m_(std::move(m)) {}
Key::Key(Key&&) noexcept = default;
Key& Key::operator=(Key&&) noexcept = default;
Key::~Key() = default;

Result<Key> Key::create(const std::filesystem::path& file)
{
    ensure_sodium();
    std::array<std::uint8_t, kKeyBytes> master{};
    crypto_kdf_keygen(master.data());
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(ErrorCode::Io,
                    fmt::format("cannot create key file {}: {}", file.string(), std::strerror(errno)));
    auto written = write_all(fd, master.data(), master.size(), file);
    const bool synced = written && ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) {
        ::unlink(file.c_str());
        return fail(ErrorCode::Io, fmt::format("cannot write key file {}", file.string()));
    }
    Key key(std::make_unique<Material>(master.data()));
    sodium_memzero(master.data(), master.size());
    return key;
}

Result<Key> Key::load(const std::filesystem::path& file)
{
    ensure_sodium();
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? ErrorCode::NotFound : ErrorCode::Io,
                    fmt::format("cannot read key file {}: {}", file.string(), std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("key file {} is readable by group or others (mode {:o}): chmod 600 it",
                                file.string(), st.st_mode & 0777));
    }
    std::array<std::uint8_t, kKeyBytes + 1> buf{};
    std::size_t got = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
        if (got == buf.size())
            break;
    }
    ::close(fd);
    if (got != kKeyBytes) {
        sodium_memzero(buf.data(), buf.size());
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("key file {} holds {} bytes, not a {}-byte archive key", file.string(), got,
                                kKeyBytes));
    }
    Key key(std::make_unique<Material>(buf.data()));
    sodium_memzero(buf.data(), buf.size());
    return key;
}

std::string Key::check_value() const
{
    std::array<std::uint8_t, 16> out{};
    static constexpr std::string_view kLabel = "chatvault archive key check v1";
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(kLabel.data()),
                       kLabel.size(), m_->check.data(), m_->check.size());
    return to_hex(out);
}

std::filesystem::path key_file(const std::filesystem::path& dir)
{
    if (const char* env = std::getenv("CHATVAULT_KEY_FILE"); env && *env)
        return env;
    return dir / "key";
}

Bytes Key::seal(std::span<const std::uint8_t> plain, std::string_view context) const
{
    Bytes out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
              crypto_aead_xchacha20poly1305_ietf_ABYTES);
    randombytes_buf(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                               &len, plain.data(), plain.size(),
                                               reinterpret_cast<const unsigned char*>(context.data()),
                                               context.size(), nullptr, out.data(), m_->records.data());
    return out;
}

Result<Bytes> Key::open(std::span<const std::uint8_t> sealed, std::string_view context) const
{
    constexpr std::size_t kOverhead =
        crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (sealed.size() < kOverhead)
        return fail(ErrorCode::Parse, fmt::format("{}: sealed data is truncated", context));
    Bytes plain(sealed.size() - kOverhead);
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &len, nullptr, sealed.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            reinterpret_cast<const unsigned char*>(context.data()), context.size(), sealed.data(),
            m_->records.data()) != 0)
        return fail(
            ErrorCode::Parse,
            fmt::format("{}: does not authenticate (altered, moved, or another archive's key)", context));
    plain.resize(len);
    return plain;
}

std::array<std::uint8_t, 32> Key::blob_name(const Sha256Digest& plain_sha256) const
{
    std::array<std::uint8_t, 32> out{};
    crypto_generichash(out.data(), out.size(), plain_sha256.data(), plain_sha256.size(), m_->names.data(),
                       m_->names.size());
    return out;
}

const std::uint8_t* Key::stream_key() const
{
    return m_->streams.data();
}

bool worth_compressing(std::span<const std::uint8_t> head)
{
    auto at = [&](std::size_t offset, std::string_view magic) {
        return head.size() >= offset + magic.size() &&
               std::memcmp(head.data() + offset, magic.data(), magic.size()) == 0;
    };
    using namespace std::string_view_literals;
    if (at(0, "\xFF\xD8\xFF"sv) ||                                // JPEG
        at(0, "\x89PNG\r\n\x1A\n"sv) ||                           // PNG
        at(0, "GIF87a"sv) || at(0, "GIF89a"sv) ||                 // GIF
        (at(0, "RIFF"sv) && at(8, "WEBP"sv)) ||                   // WebP
        at(0, "OggS"sv) ||                                        // Ogg (Opus voice notes, Vorbis)
        at(4, "ftyp"sv) ||                                        // MP4, MOV, 3GP, M4A, HEIC, AVIF
        at(0, "\x1A\x45\xDF\xA3"sv) ||                            // WebM, Matroska
        (at(0, "ID3"sv) && head.size() > 3 && head[3] < 0x10) ||  // MP3 with its tag first
        at(0, "#!AMR"sv) || at(0, "fLaC"sv) ||                    // AMR, FLAC
        at(0, "PK\x03\x04"sv) ||                                  // zip: docx, xlsx, pptx, apk
        at(0, "\x1F\x8B"sv) || at(0, "\x28\xB5\x2F\xFD"sv) ||     // gzip, zstd
        at(0, "\xFD"
              "7zXZ\x00"sv) ||
        (at(0, "BZh"sv) && at(4, "1AY&SY"sv)) ||                   // xz, bzip2
        at(0, "7z\xBC\xAF\x27\x1C"sv) || at(0, "Rar!\x1A\x07"sv))  // 7z, RAR
        return false;
    return true;
}

namespace {

// One zstd context per thread, made once: a blob's stream starts with a compression trial,
// and making a context costs more than trying a small file.
ZSTD_CCtx* thread_zstd()
{
    struct Holder {
        ZSTD_CCtx* ctx = ZSTD_createCCtx();
        ~Holder() { ZSTD_freeCCtx(ctx); }
    };
    static thread_local Holder holder;
    return holder.ctx;
}

}  // namespace

namespace {

// OpenSSL's ChaCha20 and Poly1305, fetched once; a context of each per thread.
struct OpenSslStream {
    EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
    EVP_MAC* poly = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
    EVP_CIPHER_CTX* cipher = EVP_CIPHER_CTX_new();
    EVP_MAC_CTX* mac = poly ? EVP_MAC_CTX_new(poly) : nullptr;
    ~OpenSslStream()
    {
        EVP_MAC_CTX_free(mac);
        EVP_CIPHER_CTX_free(cipher);
        EVP_MAC_free(poly);
        EVP_CIPHER_free(chacha);
    }
    bool ok() const { return chacha && poly && cipher && mac; }

    // out = in XOR the ChaCha20 (IETF) key stream from block `counter` on.
    bool xor_stream(std::uint8_t* out, const std::uint8_t* in, std::size_t n, const std::uint8_t* key,
                    const std::uint8_t* nonce12, std::uint32_t counter)
    {
        std::uint8_t iv[16];  // OpenSSL's: 32-bit block counter (little-endian), then the nonce
        iv[0] = static_cast<std::uint8_t>(counter);
        iv[1] = static_cast<std::uint8_t>(counter >> 8);
        iv[2] = static_cast<std::uint8_t>(counter >> 16);
        iv[3] = static_cast<std::uint8_t>(counter >> 24);
        std::memcpy(iv + 4, nonce12, 12);
        int len = 0;
        if (EVP_EncryptInit_ex2(cipher, chacha, key, iv, nullptr) != 1)
            return false;
        while (n > 0) {
            const int piece = static_cast<int>(std::min<std::size_t>(n, 1u << 30));
            if (EVP_EncryptUpdate(cipher, out, &len, in, piece) != 1)
                return false;
            out += piece;
            in += piece;
            n -= static_cast<std::size_t>(piece);
        }
        return true;
    }
};

// libsodium's secretstream nonce: a 32-bit message counter, then 8 bytes ratcheted by each MAC
// (private constants of its secretstream_xchacha20poly1305.c).
constexpr std::size_t kCounterBytes = 4;
constexpr std::size_t kInonceBytes = 8;
static_assert(kCounterBytes + kInonceBytes == sizeof(crypto_secretstream_xchacha20poly1305_state::nonce));

OpenSslStream& openssl_stream()
{
    static thread_local OpenSslStream s;
    return s;
}

}  // namespace

void secretstream_push(void* state_ptr, std::uint8_t* out, const std::uint8_t* m, std::size_t mlen,
                       std::uint8_t tag)
{
    // libsodium 1.0.18's secretstream_xchacha20poly1305.c, step for step: the one-time Poly1305
    // key from block 0, the tag byte encrypted as block 1, the message from block 2, the MAC
    // over (no ad) ‖ tag block ‖ ciphertext ‖ padding ‖ lengths, then the nonce ratchet.
    auto* st = static_cast<crypto_secretstream_xchacha20poly1305_state*>(state_ptr);
    OpenSslStream& o = openssl_stream();
    static const std::uint8_t kZeros[64] = {};
    std::uint8_t block[64];
    unsigned char mac[16];
    bool done = o.ok();
    done = done && o.xor_stream(block, kZeros, 32, st->k, st->nonce, 0);  // the Poly1305 key
    done = done && EVP_MAC_init(o.mac, block, 32, nullptr) == 1;
    if (done) {
        std::memset(block, 0, sizeof block);
        block[0] = tag;
        done = o.xor_stream(block, block, sizeof block, st->k, st->nonce, 1);
        out[0] = block[0];
        std::uint8_t* c = out + 1;
        done = done && EVP_MAC_update(o.mac, block, sizeof block) == 1 &&
               o.xor_stream(c, m, mlen, st->k, st->nonce, 2) && EVP_MAC_update(o.mac, c, mlen) == 1 &&
               EVP_MAC_update(o.mac, kZeros, (0x10 - sizeof block + mlen) & 0xf) == 1;
        std::uint8_t lengths[16] = {};
        const std::uint64_t total = sizeof block + mlen;
        for (int i = 0; i < 8; ++i)
            lengths[8 + i] = static_cast<std::uint8_t>(total >> (8 * i));  // adlen (0), then this
        std::size_t maclen = 0;
        done = done && EVP_MAC_update(o.mac, lengths, sizeof lengths) == 1 &&
               EVP_MAC_final(o.mac, mac, &maclen, sizeof mac) == 1 && maclen == sizeof mac;
        if (done) {
            std::memcpy(c + mlen, mac, sizeof mac);
            for (std::size_t i = 0; i < kInonceBytes; ++i)
                st->nonce[kCounterBytes + i] ^= mac[i];
            sodium_increment(st->nonce, kCounterBytes);
            if ((tag & crypto_secretstream_xchacha20poly1305_TAG_REKEY) != 0 ||
                sodium_is_zero(st->nonce, kCounterBytes))
                crypto_secretstream_xchacha20poly1305_rekey(st);
        }
    }
    sodium_memzero(block, sizeof block);
    if (!done) {
        // OpenSSL without ChaCha20/Poly1305 (or a failure in it): libsodium's own code.
        unsigned long long len = 0;
        crypto_secretstream_xchacha20poly1305_push(st, out, &len, m, mlen, nullptr, 0, tag);
    }
}

struct StreamSealer::State {
    crypto_secretstream_xchacha20poly1305_state st;
    ZSTD_CCtx* zstd = nullptr;
    bool try_compress = true;
};

StreamSealer::StreamSealer(const Key& key, bool compress)
    : s_(std::make_unique<State>()), header_(kStreamHeaderBytes)
{
    s_->try_compress = compress;
    if (compress)
        s_->zstd = thread_zstd();
    crypto_secretstream_xchacha20poly1305_init_push(&s_->st, header_.data(), key.stream_key());
}

StreamSealer::~StreamSealer() = default;

std::span<const std::uint8_t> StreamSealer::push_framed(std::span<std::uint8_t> framed, bool last)
{
    // Each message's plaintext is a flag byte (0 stored, 1 zstd) and the data: text and
    // documents shrink; media is usually compressed already, so after a first message that
    // does not shrink the rest of the stream is not tried.
    const std::span<const std::uint8_t> plain = framed.subspan(1);
    std::span<const std::uint8_t> message = framed;
    framed[0] = 0;
    if (s_->try_compress) {
        const std::size_t bound = 1 + ZSTD_compressBound(plain.size());
        if (packed_.size() < bound)
            packed_.resize(bound);
        const std::size_t z = ZSTD_compressCCtx(s_->zstd, packed_.data() + 1, packed_.size() - 1,
                                                plain.data(), plain.size(), 1);
        if (ZSTD_isError(z) || z + z / 8 >= plain.size()) {
            s_->try_compress = false;
        } else {
            packed_[0] = 1;
            message = std::span<const std::uint8_t>(packed_.data(), 1 + z);
        }
    }
    if (out_.size() < message.size() + kStreamOverheadBytes)
        out_.resize(message.size() + kStreamOverheadBytes);  // grows once: never shrunk, never zeroed again
    secretstream_push(&s_->st, out_.data(), message.data(), message.size(),
                      last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    return std::span<const std::uint8_t>(out_.data(), message.size() + kStreamOverheadBytes);
}

const Bytes& StreamSealer::push(std::span<const std::uint8_t> plain, bool last)
{
    framed_.resize(1 + plain.size());
    std::copy(plain.begin(), plain.end(), framed_.begin() + 1);
    const auto sealed = push_framed(framed_, last);
    sealed_.assign(sealed.begin(), sealed.end());
    return sealed_;
}

struct StreamOpener::State {
    crypto_secretstream_xchacha20poly1305_state st;
};

StreamOpener::StreamOpener(const Key& key, std::span<const std::uint8_t> header)
    : s_(std::make_unique<State>())
{
    header_ok_ = header.size() == kStreamHeaderBytes && crypto_secretstream_xchacha20poly1305_init_pull(
                                                            &s_->st, header.data(), key.stream_key()) == 0;
}

StreamOpener::~StreamOpener() = default;

Result<const Bytes*> StreamOpener::pull(std::span<const std::uint8_t> sealed, bool& last)
{
    if (!header_ok_ || sealed.size() < kStreamOverheadBytes + 1)
        return fail(ErrorCode::Parse, "blob stream is damaged");
    unpacked_.resize(sealed.size() - kStreamOverheadBytes);
    unsigned long long len = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&s_->st, unpacked_.data(), &len, &tag, sealed.data(),
                                                   sealed.size(), nullptr, 0) != 0)
        return fail(ErrorCode::Parse, "blob does not authenticate (altered, truncated or reordered)");
    unpacked_.resize(len);
    last = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (unpacked_.empty())
        return fail(ErrorCode::Parse, "blob message is empty");
    if (unpacked_[0] == 0) {
        plain_.assign(unpacked_.begin() + 1, unpacked_.end());
    } else {
        CV_TRY(plain_, decompress(std::span(unpacked_).subspan(1), StreamSealer::kMessageBytes));
    }
    return &plain_;
}

Result<Bytes> compress(std::span<const std::uint8_t> plain)
{
    Bytes out(ZSTD_compressBound(plain.size()));
    // The thread's context: ZSTD_compress() makes and frees one (megabytes of tables, faulted
    // in afresh) on every call, and a commit compresses its chunk and a preview block per 256
    // items. The output is the same: the level sets every parameter.
    const std::size_t n =
        ZSTD_compressCCtx(thread_zstd(), out.data(), out.size(), plain.data(), plain.size(), 3);
    if (ZSTD_isError(n))
        return fail(ErrorCode::Internal, fmt::format("zstd: {}", ZSTD_getErrorName(n)));
    out.resize(n);
    return out;
}

Result<Bytes> decompress(std::span<const std::uint8_t> packed, std::size_t max_bytes)
{
    const unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_bytes)
        return fail(ErrorCode::Parse, "compressed data is damaged or too large");
    Bytes out(size);
    const std::size_t n = ZSTD_decompress(out.data(), out.size(), packed.data(), packed.size());
    if (ZSTD_isError(n) || n != size)
        return fail(ErrorCode::Parse,
                    fmt::format("zstd: {}", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
    return out;
}

}  // namespace cv::archive::detail

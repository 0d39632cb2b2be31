#pragma once
/// Encryption at rest (libsodium; nothing outside crypto.cpp sees sodium.h). One 32-byte
/// archive key lives in a key file (mode 0600, never in the database); per-purpose subkeys
/// are derived from it. Records are sealed with XChaCha20-Poly1305 (random 192-bit nonces,
/// so no nonce bookkeeping), bound by associated data to where they belong; blobs of any size
/// go through libsodium's secretstream in 64 KiB messages, so they are encrypted and
/// authenticated as a stream with bounded memory and cannot be truncated or reordered
/// unnoticed.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.hpp"
#include "core/result.hpp"

namespace cv::archive::detail {

using Bytes = std::vector<std::uint8_t>;

/// Where the key of the archive in `dir` is: $CHATVAULT_KEY_FILE, else `dir`/key.
std::filesystem::path key_file(const std::filesystem::path& dir);

class Key {
public:
    /// Writes a fresh random key to `file` (which must not exist), mode 0600. Errors: Io.
    static Result<Key> create(const std::filesystem::path& file);
    /// Reads a key file. Errors: NotFound, Io, InvalidArgument (wrong size, or readable by
    /// group or others: refuse rather than use a key anyone on the machine can read).
    static Result<Key> load(const std::filesystem::path& file);
    Key(Key&&) noexcept;
    Key& operator=(Key&&) noexcept;
    ~Key();

    /// A value the database keeps to tell, at open, that the key file belongs to it.
    std::string check_value() const;

    /// nonce ‖ ciphertext of `plain`, bound to `context` (which must be given again to open).
    Bytes seal(std::span<const std::uint8_t> plain, std::string_view context) const;
    /// Errors: Parse when the bytes were altered, belong elsewhere, or the key is wrong.
    Result<Bytes> open(std::span<const std::uint8_t> sealed, std::string_view context) const;

    /// The name a blob is stored and deduplicated under: a keyed hash of its SHA-256, so the
    /// database does not reveal which known files the archive holds.
    std::array<std::uint8_t, 32> blob_name(const Sha256Digest& plain_sha256) const;

    const std::uint8_t* stream_key() const;

private:
    struct Material;
    explicit Key(std::unique_ptr<Material> m);
    std::unique_ptr<Material> m_;
};

/// False when `head` (a stream's first bytes) starts like a format that is compressed already
/// (JPEG, PNG, GIF, WebP, Ogg, MP4/MOV/3GP/HEIC, WebM, MP3 with ID3, AMR, FLAC, zip/Office,
/// gzip, zstd, xz, bzip2, 7z, RAR): zstd would not pay, so a sealer need not try it.
bool worth_compressing(std::span<const std::uint8_t> head);

/// Encrypts a byte stream in messages of at most kMessageBytes plaintext, each compressed
/// with zstd first when that pays. Output is produced piecewise through `emit`.
class StreamSealer {
public:
    static constexpr std::size_t kMessageBytes = 64 * 1024;
    /// `compress`: try zstd at all (see worth_compressing).
    explicit StreamSealer(const Key& key, bool compress = true);
    ~StreamSealer();
    StreamSealer(const StreamSealer&) = delete;
    StreamSealer& operator=(const StreamSealer&) = delete;

    /// The stream header, then one sealed message per push(); `last` marks the final one.
    const Bytes& header() const { return header_; }
    const Bytes& push(std::span<const std::uint8_t> plain, bool last);
    /// push() for a caller that keeps framed[0] free for the message's flag byte and the
    /// plaintext in framed[1…]: nothing is copied before sealing. The result is valid until
    /// the next push.
    std::span<const std::uint8_t> push_framed(std::span<std::uint8_t> framed, bool last);

private:
    struct State;
    std::unique_ptr<State> s_;
    Bytes header_;
    Bytes out_;
    Bytes packed_;
    Bytes framed_;
    Bytes sealed_;
};

/// libsodium's crypto_secretstream_xchacha20poly1305_push() (no additional data) on its
/// state (`state` is a crypto_secretstream_xchacha20poly1305_state), with the ChaCha20 and
/// Poly1305 work done by OpenSSL's vectorised code (2.5x libsodium 1.0.18's here): the same
/// bytes out and the same state after, as the tests check against libsodium. Writes
/// mlen + kStreamOverheadBytes bytes to `out`.
void secretstream_push(void* state, std::uint8_t* out, const std::uint8_t* m, std::size_t mlen,
                       std::uint8_t tag);

/// The reverse of StreamSealer over a stored blob.
class StreamOpener {
public:
    StreamOpener(const Key& key, std::span<const std::uint8_t> header);
    ~StreamOpener();
    StreamOpener(const StreamOpener&) = delete;
    StreamOpener& operator=(const StreamOpener&) = delete;
    /// Plaintext of the next sealed message; sets `last` on the final one. Errors: Parse
    /// (altered, truncated or reordered data).
    Result<const Bytes*> pull(std::span<const std::uint8_t> sealed, bool& last);
    bool header_ok() const { return header_ok_; }

private:
    struct State;
    std::unique_ptr<State> s_;
    Bytes plain_;
    Bytes unpacked_;
    bool header_ok_ = false;
};

inline constexpr std::size_t kStreamHeaderBytes = 24;
inline constexpr std::size_t kStreamOverheadBytes = 17;  ///< per message

/// zstd, level 3 (what fits a chunk of item records). Errors: Internal.
Result<Bytes> compress(std::span<const std::uint8_t> plain);
/// Errors: Parse (not zstd, or larger than `max_bytes`).
Result<Bytes> decompress(std::span<const std::uint8_t> packed, std::size_t max_bytes);

}  // namespace cv::archive::detail

#include "render/detail/mime.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>
#include <immintrin.h>
#include <openssl/evp.h>

namespace cv::render::detail {

namespace {

constexpr std::size_t kMaxLine = 76;  // RFC 2047 §2 for lines with encoded words
constexpr std::string_view kWordOpen = "=?UTF-8?Q?";
constexpr std::string_view kWordClose = "?=";
constexpr char kHex[] = "0123456789ABCDEF";

bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

// Characters a Q-encoded word may carry as themselves. RFC 2047 §5(3) is strictest inside a
// phrase (display names); one set for every use keeps the output uniform.
bool is_q_literal(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

bool is_atext(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 2231 attribute-char: what may stand for itself in a percent-encoded parameter value.
bool is_attribute_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::size_t utf8_sequence_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0)
        return 2;
    if ((lead & 0xF0) == 0xE0)
        return 3;
    if ((lead & 0xF8) == 0xF0)
        return 4;
    return 1;  // a stray continuation byte travels on its own (input is validated upstream)
}

void append_hex_escape(std::string& out, char prefix, unsigned char c)
{
    out += prefix;
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
}

// Control characters, line breaks included, would end or corrupt a header line.
std::string one_line(std::string_view value)
{
    std::string s(value);
    for (auto& c : s)
        if (is_control(static_cast<unsigned char>(c)))
            c = ' ';
    return s;
}

// Appends `text` as Q-encoded words, never splitting a UTF-8 character across two words and
// folding so that no line passes kMaxLine. `col` is the current line's length.
void append_encoded_words(std::string& out, std::size_t& col, std::string_view text)
{
    std::string word;
    auto open_word = [&] {
        // Room for at least one encoded character, or fold first.
        if (col + 1 + kWordOpen.size() + 12 + kWordClose.size() > kMaxLine) {
            out += "\r\n";
            col = 0;
        }
        out += ' ';
        col += 1;
        word.assign(kWordOpen);
    };
    auto close_word = [&] {
        word += kWordClose;
        out += word;
        col += word.size();
        word.clear();
    };
    open_word();
    std::string encoded;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n =
            std::min(utf8_sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
        encoded.clear();
        for (std::size_t k = 0; k < n; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            if (c == ' ')
                encoded += '_';
            else if (is_q_literal(c))
                encoded += static_cast<char>(c);
            else
                append_hex_escape(encoded, '=', c);
        }
        if (word.size() > kWordOpen.size() &&
            col + word.size() + encoded.size() + kWordClose.size() > kMaxLine) {
            close_word();
            out += "\r\n";
            col = 0;
            open_word();
        }
        word += encoded;
        i += n;
    }
    close_word();
}

bool needs_encoding(std::string_view value)
{
    std::size_t run = 0;
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x80)
            return true;
        run = c == ' ' ? 0 : run + 1;
        if (run > 60)
            return true;  // cannot fold a word this long; encoded words can be split anywhere
    }
    return value.find("=?") != std::string_view::npos || value.starts_with(' ') || value.ends_with(' ');
}

// Folds printable ASCII at existing spaces (the space begins the next line), so unfolding
// gives back exactly the value.
void append_folded_ascii(std::string& out, std::size_t col, std::string_view value)
{
    while (col + value.size() > 78) {
        const std::size_t room = 78 - col;
        std::size_t cut = value.rfind(' ', room);
        if (cut == std::string_view::npos || cut == 0)
            cut = value.find(' ', 1);
        if (cut == std::string_view::npos)
            break;
        out.append(value.substr(0, cut));
        out += "\r\n";
        value.remove_prefix(cut);
        col = 0;
    }
    out.append(value);
}

}  // namespace

std::size_t utf8_prefix(std::string_view s, std::size_t max_bytes)
{
    if (s.size() <= max_bytes)
        return s.size();
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return n;
}

void append_raw_header(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out += ": ";
    out.append(value);
    out += kCrlf;
}

void append_text_header(std::string& out, std::string_view name, std::string_view value)
{
    const std::string line = one_line(value);
    out.append(name);
    out += ':';
    std::size_t col = name.size() + 1;
    if (line.empty()) {
        out += kCrlf;
        return;
    }
    if (needs_encoding(line)) {
        append_encoded_words(out, col, line);
    } else {
        out += ' ';
        append_folded_ascii(out, col + 1, line);
    }
    out += kCrlf;
}

void append_address_header(std::string& out, std::string_view name, std::span<const Mailbox> mailboxes)
{
    out.append(name);
    out += ':';
    std::size_t col = name.size() + 1;
    bool first = true;
    // Each check keeps one column for the comma that may follow.
    constexpr std::size_t kLimit = kMaxLine - 1;
    for (const Mailbox& m : mailboxes) {
        if (!first) {
            out += ',';
            ++col;
        }
        first = false;
        const std::string display = one_line(m.display_name);
        const std::size_t addr_len = m.address.size() + 2;
        if (display.empty()) {
            if (col + 1 + addr_len > kLimit && col > name.size() + 1) {
                out += "\r\n";
                col = 0;
            }
            out += " <" + m.address + ">";
            col += addr_len + 1;
            continue;
        }
        bool atoms =
            !display.starts_with(' ') && !display.ends_with(' ') && display.find("  ") == std::string::npos;
        bool ascii = true;
        for (const char ch : display) {
            const auto c = static_cast<unsigned char>(ch);
            atoms = atoms && (c == ' ' || is_atext(c));
            ascii = ascii && c < 0x80;
        }
        // Text that looks like an encoded word would be decoded by readers: encode it.
        const bool looks_encoded = display.find("=?") != std::string::npos;
        if (!looks_encoded && (atoms || ascii)) {
            std::string phrase;
            if (atoms) {
                phrase = display;
            } else {
                phrase = "\"";
                for (const char c : display) {
                    if (c == '"' || c == '\\')
                        phrase += '\\';
                    phrase += c;
                }
                phrase += '"';
            }
            if (col + 1 + phrase.size() > kLimit && col > name.size() + 1) {
                out += "\r\n";
                col = 0;
            }
            out += ' ';
            out += phrase;
            col += 1 + phrase.size();
        } else {
            if (col > name.size() + 1 && col + 30 > kLimit) {
                out += "\r\n";
                col = 0;
            }
            append_encoded_words(out, col, display);
        }
        if (col + 1 + addr_len > kLimit) {
            out += "\r\n";
            col = 0;
        }
        out += " <" + m.address + ">";
        col += addr_len + 1;
    }
    out += kCrlf;
}

void append_parameter(std::string& out, std::size_t& col, std::string_view name, std::string_view value)
{
    auto emit = [&](const std::string& piece) {
        // "; piece" on this line when it fits, otherwise on a folded line of its own.
        if (col + 2 + piece.size() > kMaxLine) {
            out += ";\r\n\t";
            col = 1;
        } else {
            out += "; ";
            col += 2;
        }
        out += piece;
        col += piece.size();
    };

    // RFC 2183 "size" and other numbers go as bare tokens.
    if (!value.empty() && value.size() <= 20 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        emit(fmt::format("{}={}", name, value));
        return;
    }
    bool plain = value.size() <= 60 && value.find("=?") == std::string_view::npos;
    for (const char ch : value)
        plain = plain && !is_control(static_cast<unsigned char>(ch)) && static_cast<unsigned char>(ch) < 0x80;
    if (plain) {
        std::string piece = fmt::format("{}=\"", name);
        for (const char c : value) {
            if (c == '"' || c == '\\')
                piece += '\\';
            piece += c;
        }
        piece += '"';
        emit(piece);
        return;
    }

    // RFC 2231: charset'language'percent-encoded, in sections that end on character
    // boundaries (some decoders convert each section on its own).
    std::vector<std::string> sections(1);
    constexpr std::size_t kSection = 48;
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t n =
            std::min(utf8_sequence_length(static_cast<unsigned char>(value[i])), value.size() - i);
        std::string encoded;
        for (std::size_t k = 0; k < n; ++k) {
            const auto c = static_cast<unsigned char>(value[i + k]);
            if (is_attribute_char(c))
                encoded += static_cast<char>(c);
            else
                append_hex_escape(encoded, '%', c);
        }
        if (sections.back().size() + encoded.size() > kSection && !sections.back().empty())
            sections.emplace_back();
        sections.back() += encoded;
        i += n;
    }
    if (sections.size() == 1) {
        emit(fmt::format("{}*=utf-8''{}", name, sections[0]));
        return;
    }
    for (std::size_t s = 0; s < sections.size(); ++s)
        emit(fmt::format("{}*{}*={}{}", name, s, s == 0 ? "utf-8''" : "", sections[s]));
}

std::string format_rfc5322_date(std::int64_t utc, std::int32_t offset_seconds)
{
    using namespace std::chrono;
    const std::int32_t offset_minutes = offset_seconds / 60;
    const std::int64_t local = utc + std::int64_t{offset_minutes} * 60;
    const auto day = floor<days>(sys_seconds(seconds(local)));
    const year_month_day ymd(day);
    const weekday wd(day);
    const auto tod = seconds(local) - day.time_since_epoch();
    const auto h = duration_cast<hours>(tod);
    const auto m = duration_cast<minutes>(tod - h);
    const auto s = tod - h - m;
    static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::int32_t abs_offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} {}{:02}{:02}", kDays[wd.c_encoding()],
                       static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                       static_cast<int>(ymd.year()), h.count(), m.count(), s.count(),
                       offset_minutes < 0 ? '-' : '+', abs_offset / 60, abs_offset % 60);
}

void append_quoted_printable(std::string& out, std::string_view text)
{
    out.reserve(out.size() + text.size() + text.size() / 8 + 8);
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        const bool last = end == std::string_view::npos;
        if (last)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!last && line.ends_with('\r'))
            line.remove_suffix(1);
        std::size_t col = 0;
        for (std::size_t i = 0; i < line.size();) {
            const auto c = static_cast<unsigned char>(line[i]);
            const bool space = c == ' ' || c == '\t';
            const bool from_line = col == 0 && c == 'F' && line.substr(i).starts_with("From ");
            const bool literal =
                ((c >= 33 && c <= 126 && c != '=') || (space && i + 1 < line.size())) && !from_line;
            if (literal) {
                // A run of characters that stand for themselves, up to the soft line break.
                std::size_t n = 1;
                const std::size_t room = kMaxLine - 1 - col;  // keep room for the soft break's "="
                while (n < room && i + n < line.size()) {
                    const auto d = static_cast<unsigned char>(line[i + n]);
                    const bool d_space = d == ' ' || d == '\t';
                    if (!((d >= 33 && d <= 126 && d != '=') || (d_space && i + n + 1 < line.size())))
                        break;
                    ++n;
                }
                if (room == 0) {
                    out += "=\r\n";
                    col = 0;
                    continue;
                }
                out.append(line.substr(i, n));
                col += n;
                i += n;
                continue;
            }
            if (col + 3 > kMaxLine - 1) {
                out += "=\r\n";
                col = 0;
            }
            const char escaped[3] = {'=', kHex[c >> 4], kHex[c & 0xF]};
            out.append(escaped, 3);
            col += 3;
            ++i;
        }
        if (last)
            break;  // no line break of its own: the caller ends the part
        out += kCrlf;
        start = end + 1;
    }
}

namespace {

constexpr std::size_t kGroup = 57;  // 57 bytes → one 76-character line
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Three bytes → four characters (no padding: whole groups only).
inline void encode_triple(const unsigned char* in, char* out)
{
    const std::uint32_t v = std::uint32_t{in[0]} << 16 | std::uint32_t{in[1]} << 8 | in[2];
    out[0] = kBase64[v >> 18];
    out[1] = kBase64[(v >> 12) & 63];
    out[2] = kBase64[(v >> 6) & 63];
    out[3] = kBase64[v & 63];
}

// One whole 57-byte group → 76 characters, 24 bytes at a time in AVX2 (W. Muła and D. Lemire,
// "Faster Base64 Encoding and Decoding using AVX2 Instructions", 2018), the last 9 bytes as
// above. Reads only the group's own bytes.
__attribute__((target("avx2"))) void encode_line_avx2(const unsigned char* in, char* out)
{
    const __m256i shuffle = _mm256_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1, 10, 11, 9, 10,
                                            7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
    const __m256i shift = _mm256_setr_epi8(
        'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0, 'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
    for (std::size_t k = 0; k < 2; ++k) {
        // Bytes 0..11 in the low lane and 12..23 in the high one (each loaded 16 wide: the
        // second load ends 4 bytes past the 24, still inside the 57).
        const auto* p = in + 24 * k;
        __m256i v = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12)), 1);
        v = _mm256_shuffle_epi8(v, shuffle);
        const __m256i t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
        const __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
        const __m256i t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
        const __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
        const __m256i indices = _mm256_or_si256(t1, t3);  // six bits a byte
        __m256i result = _mm256_subs_epu8(indices, _mm256_set1_epi8(51));
        const __m256i less = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), indices);
        result = _mm256_or_si256(result, _mm256_and_si256(less, _mm256_set1_epi8(13)));
        result = _mm256_add_epi8(_mm256_shuffle_epi8(shift, result), indices);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * k), result);
    }
    for (std::size_t g = 0; g < 3; ++g)
        encode_triple(in + 48 + 3 * g, out + 64 + 4 * g);
}

const bool kBase64Avx2 = __builtin_cpu_supports("avx2");

}  // namespace

void append_base64_reference(std::string& out, std::string_view bytes)
{
    // OpenSSL's encoder: several times faster than libsodium's constant-time one, and
    // attachment bytes are not secrets that need timing protection here.
    const std::size_t lines = (bytes.size() + kGroup - 1) / kGroup;
    const std::size_t at = out.size();
    out.resize(at + lines * 78 + 1);
    char* p = out.data() + at;
    for (std::size_t i = 0; i < bytes.size(); i += kGroup) {
        const std::size_t n = std::min(kGroup, bytes.size() - i);
        const int written =
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(p),
                            reinterpret_cast<const unsigned char*>(bytes.data() + i), static_cast<int>(n));
        p += written;
        *p++ = '\r';
        *p++ = '\n';
    }
    out.resize(static_cast<std::size_t>(p - out.data()));
}

void append_base64(std::string& out, std::string_view bytes)
{
    if (!kBase64Avx2)
        return append_base64_reference(out, bytes);
    // Whole lines here; a short last line (the only one that can need padding) by OpenSSL.
    const std::size_t whole = bytes.size() / kGroup;
    const std::size_t at = out.size();
    out.resize(at + whole * 78);
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* p = out.data() + at;
    for (std::size_t i = 0; i < whole; ++i) {
        encode_line_avx2(in + i * kGroup, p);
        p[76] = '\r';
        p[77] = '\n';
        p += 78;
    }
    if (bytes.size() > whole * kGroup)
        append_base64_reference(out, bytes.substr(whole * kGroup));
}

Result<std::uint64_t> stream_base64(std::string_view first, ByteSource& source, ByteSink& sink)
{
    // A whole number of 57-byte groups, so only the very last line can be short.
    constexpr std::size_t kChunk = 57 * 1024;
    std::vector<char> chunk(kChunk);
    std::size_t fill = 0;
    std::uint64_t total = 0;
    std::string out;
    out.reserve(kChunk / 57 * 78);

    auto flush = [&](bool final) -> Result<void> {
        const std::size_t n = final ? fill : fill / 57 * 57;
        if (n == 0)
            return {};
        out.clear();
        append_base64(out, std::string_view(chunk.data(), n));
        CV_TRY_VOID(sink.write(out));
        std::copy(chunk.begin() + static_cast<std::ptrdiff_t>(n),
                  chunk.begin() + static_cast<std::ptrdiff_t>(fill), chunk.begin());
        fill -= n;
        return {};
    };

    while (!first.empty()) {
        const std::size_t n = std::min(first.size(), kChunk - fill);
        std::copy_n(first.data(), n, chunk.data() + fill);
        fill += n;
        total += n;
        first.remove_prefix(n);
        if (fill == kChunk)
            CV_TRY_VOID(flush(false));
    }
    for (;;) {
        CV_TRY(const std::size_t n, source.read(std::span<char>(chunk.data() + fill, kChunk - fill)));
        if (n == 0)
            break;
        fill += n;
        total += n;
        if (fill == kChunk)
            CV_TRY_VOID(flush(false));
    }
    CV_TRY_VOID(flush(true));
    return total;
}

}  // namespace cv::render::detail

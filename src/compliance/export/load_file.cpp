// The load file (RFC 4180 CSV), the manifest line and path names: pure functions, so that the
// resume's reading of what an interrupted run left is testable and fuzzable on its own.

#include "compliance/export/export.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace cv::compliance::exports {

namespace {

constexpr std::string_view kHeader =
    "DocID,ItemID,MessageID,Custodian,Mailbox,Folder,SentUTC,From,To,Subject,"
    "AttachmentNames,SHA256,Size,DuplicateOf,Path\r\n";
constexpr std::size_t kColumns = 15;

bool is_hex64(std::string_view s)
{
    if (s.size() != 64)
        return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

template <class T> bool to_number(std::string_view s, T& out)
{
    if (s.empty() || s.size() > 20 || s[0] == '-' || s[0] == '+')
        return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// One record starting at `pos`: its fields, and the offset past its CRLF; nullopt when the
// text ends before the record does (a cut-short write). Errors are for bytes no writer of
// ours produces.
struct Record {
    std::vector<std::string> fields;
    std::size_t end = 0;
};

Result<std::optional<Record>> read_record(std::string_view text, std::size_t pos, std::uint64_t line)
{
    Record r;
    std::string field;
    const auto bad = [line](std::string_view what) {
        return fail(ErrorCode::Parse, fmt::format("loadfile.csv line {}: {}", line, what));
    };
    while (true) {
        field.clear();
        if (pos < text.size() && text[pos] == '"') {
            ++pos;
            while (true) {
                const std::size_t q = text.find('"', pos);
                if (q == std::string_view::npos)
                    return std::optional<Record>();
                field.append(text.substr(pos, q - pos));
                if (q + 1 < text.size() && text[q + 1] == '"') {
                    field.push_back('"');
                    pos = q + 2;
                    continue;
                }
                if (q + 1 >= text.size())
                    return std::optional<Record>();
                pos = q + 1;
                break;
            }
            if (text[pos] != ',' && text[pos] != '\r')
                return bad("a quoted field is followed by something other than a comma or the line end");
        } else {
            const std::size_t stop = text.find_first_of(",\r\n\"", pos);
            if (stop == std::string_view::npos)
                return std::optional<Record>();
            if (text[stop] == '"')
                return bad("a quote inside an unquoted field");
            if (text[stop] == '\n')
                return bad("a line ends with LF alone (CRLF expected)");
            field.assign(text.substr(pos, stop - pos));
            pos = stop;
        }
        r.fields.push_back(field);
        if (r.fields.size() > kColumns)
            return bad(fmt::format("more than {} fields", kColumns));
        if (text[pos] == ',') {
            ++pos;
            continue;
        }
        // text[pos] == '\r'
        if (pos + 1 >= text.size())
            return std::optional<Record>();
        if (text[pos + 1] != '\n')
            return bad("CR not followed by LF");
        r.end = pos + 2;
        return std::optional<Record>(std::move(r));
    }
}

Result<LoadRow> to_row(std::vector<std::string>& f, std::uint64_t line)
{
    const auto bad = [line](std::string_view what) {
        return fail(ErrorCode::Parse, fmt::format("loadfile.csv line {}: {}", line, what));
    };
    if (f.size() != kColumns)
        return bad(fmt::format("{} fields where {} were expected", f.size(), kColumns));
    LoadRow r;
    r.doc_id = std::move(f[0]);
    if (!r.doc_id.starts_with("CV"))
        return bad(fmt::format("document id \"{}\" is not one of ours", r.doc_id));
    if (!to_number(f[1], r.item) || r.item <= 0)
        return bad(fmt::format("item id \"{}\" is not a positive number", f[1]));
    r.message_id = std::move(f[2]);
    r.custodian = std::move(f[3]);
    r.mailbox = std::move(f[4]);
    r.folder = std::move(f[5]);
    r.sent_utc = std::move(f[6]);
    r.from = std::move(f[7]);
    r.to = std::move(f[8]);
    r.subject = std::move(f[9]);
    r.attachments = std::move(f[10]);
    r.sha256 = std::move(f[11]);
    if (!is_hex64(r.sha256))
        return bad("SHA256 is not 64 lower-case hex digits");
    if (!to_number(f[12], r.size))
        return bad(fmt::format("size \"{}\" is not a number", f[12]));
    r.duplicate_of = std::move(f[13]);
    r.path = std::move(f[14]);
    if (r.path.empty() || r.path.front() == '/' || r.path.find("..") != std::string::npos ||
        r.path.find_first_of("\\\r\n", 0) != std::string::npos)
        return bad(fmt::format("path \"{}\" is not a relative path inside the export", r.path));
    return r;
}

}  // namespace

std::string_view load_file_header()
{
    return kHeader;
}

namespace {

// csv_field() appended to `out` (format_row() runs per row of a million-item export: no
// temporary string per field).
void append_field(std::string& out, std::string_view value)
{
    const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!quote) {
        out.append(value);
        return;
    }
    out.push_back('"');
    for (std::size_t pos = 0;;) {
        const std::size_t q = value.find('"', pos);
        out.append(value.substr(pos, q == std::string_view::npos ? std::string_view::npos : q + 1 - pos));
        if (q == std::string_view::npos)
            break;
        out.push_back('"');
        pos = q + 1;
    }
    out.push_back('"');
}

void append_number(std::string& out, std::uint64_t n)
{
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;  // 24 characters hold any 64-bit number
    out.append(buf, end);
}

}  // namespace

std::string csv_field(std::string_view value)
{
    std::string out;
    append_field(out, value);
    return out;
}

std::string format_row(const LoadRow& r)
{
    std::string out;
    out.reserve(200 + r.message_id.size() + r.custodian.size() + r.mailbox.size() + r.subject.size() +
                r.from.size() + r.to.size() + r.attachments.size() + r.path.size());
    for (const std::string* field : {&r.doc_id}) {
        append_field(out, *field);
        out.push_back(',');
    }
    append_number(out, static_cast<std::uint64_t>(r.item));
    out.push_back(',');
    for (const std::string* field : {&r.message_id, &r.custodian, &r.mailbox, &r.folder, &r.sent_utc, &r.from,
                                     &r.to, &r.subject, &r.attachments, &r.sha256}) {
        append_field(out, *field);
        out.push_back(',');
    }
    append_number(out, r.size);
    out.push_back(',');
    append_field(out, r.duplicate_of);
    out.push_back(',');
    append_field(out, r.path);
    out.append("\r\n");
    return out;
}

Result<ParsedLoadFile> parse_load_file(std::string_view text, bool with_header, std::uint64_t first_line)
{
    ParsedLoadFile out;
    std::size_t pos = 0;
    std::uint64_t line = first_line;
    if (with_header) {
        if (text.size() < kHeader.size()) {
            if (kHeader.substr(0, text.size()) != text)
                return fail(ErrorCode::Parse, "loadfile.csv line 1: not a chatvault load file header");
            return out;  // the header itself was cut short: nothing complete
        }
        if (text.substr(0, kHeader.size()) != kHeader)
            return fail(ErrorCode::Parse, "loadfile.csv line 1: not a chatvault load file header");
        pos = kHeader.size();
        out.complete_bytes = pos;
        ++line;
    }
    while (pos < text.size()) {
        CV_TRY(auto record, read_record(text, pos, line));
        if (!record)
            break;
        std::uint64_t lines = 1;
        for (std::size_t i = pos; i + 1 < record->end; ++i)
            lines += text[i] == '\n' ? 1 : 0;
        CV_TRY(auto row, to_row(record->fields, line));
        out.rows.push_back(std::move(row));
        pos = record->end;
        out.row_ends.push_back(pos);
        out.complete_bytes = pos;
        line += lines;
    }
    return out;
}

std::string manifest_line(std::string_view sha256_hex, std::string_view path)
{
    std::string out;
    out.reserve(sha256_hex.size() + path.size() + 3);
    out.append(sha256_hex);
    out.append("  ");
    out.append(path);
    out.push_back('\n');
    return out;
}

std::string safe_component(std::string_view name)
{
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f || c == '/' || c == '\\' ? '_' : c);
    }
    if (!out.empty() && out.front() == '.')
        out.front() = '_';
    if (out.size() > 120) {
        std::size_t cut = 120;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
            --cut;
        out.resize(cut);
    }
    if (out.empty())
        out = "_";
    return out;
}

namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

std::optional<std::string> decode_b(std::string_view s)
{
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : s) {
        if (c == '=')
            break;
        const auto v = kAlphabet.find(c);
        if (v == std::string_view::npos)
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

// One encoded word "=?charset?Q|B?text?=" at the start of `s`: its decoded text and length.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view s)
{
    if (!s.starts_with("=?"))
        return std::nullopt;
    const std::size_t q1 = s.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 3 > s.size() || s[q1 + 2] != '?')
        return std::nullopt;
    const std::size_t end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos)
        return std::nullopt;
    std::string charset(s.substr(2, q1 - 2));
    for (char& c : charset)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (charset != "utf-8" && charset != "us-ascii")
        return std::nullopt;
    const char enc = s[q1 + 1];
    const std::string_view text = s.substr(q1 + 3, end - q1 - 3);
    std::string out;
    if (enc == 'Q' || enc == 'q') {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '_') {
                out.push_back(' ');
            } else if (text[i] == '=' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
                       hex_value(text[i + 2]) >= 0) {
                out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
                i += 2;
            } else {
                out.push_back(text[i]);
            }
        }
    } else if (enc == 'B' || enc == 'b') {
        auto b = decode_b(text);
        if (!b)
            return std::nullopt;
        out = std::move(*b);
    } else {
        return std::nullopt;
    }
    return std::make_pair(std::move(out), end + 2);
}

std::string decode_words(std::string_view v)
{
    std::string out;
    bool after_word = false;
    std::size_t i = 0;
    while (i < v.size()) {
        if (auto w = encoded_word(v.substr(i))) {
            out += w->first;
            i += w->second;
            after_word = true;
            continue;
        }
        if (after_word && (v[i] == ' ' || v[i] == '\t')) {
            // White space between two encoded words is not part of the text (RFC 2047 §6.2).
            std::size_t j = i;
            while (j < v.size() && (v[j] == ' ' || v[j] == '\t'))
                ++j;
            if (encoded_word(v.substr(j))) {
                i = j;
                continue;
            }
        }
        after_word = false;
        out.push_back(v[i++]);
    }
    return out;
}

}  // namespace

std::string header_value(std::string_view headers, std::string_view name)
{
    std::size_t pos = 0;
    while (pos < headers.size()) {
        std::size_t eol = headers.find("\r\n", pos);
        if (eol == std::string_view::npos)
            eol = headers.size();
        const std::string_view line = headers.substr(pos, eol - pos);
        if (line.empty())
            break;  // end of the header section
        const bool match = line.size() > name.size() && line[name.size()] == ':' &&
                           std::equal(name.begin(), name.end(), line.begin(),
                                      [](char a, char b) { return (a | 0x20) == (b | 0x20); });
        if (match) {
            std::string value(line.substr(name.size() + 1));
            std::size_t next = eol + 2;
            while (next < headers.size() && (headers[next] == ' ' || headers[next] == '\t')) {
                std::size_t e = headers.find("\r\n", next);
                if (e == std::string_view::npos)
                    e = headers.size();
                value.append(headers.substr(next, e - next));  // unfolding removes only the CRLF
                next = e + 2;
            }
            std::size_t b = 0;
            while (b < value.size() && (value[b] == ' ' || value[b] == '\t'))
                ++b;
            return decode_words(std::string_view(value).substr(b));
        }
        pos = eol + 2;
    }
    return {};
}

}  // namespace cv::compliance::exports

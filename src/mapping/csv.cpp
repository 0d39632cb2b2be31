// The mapping CSV: the libcsv adapter, row checks, and the duplicate/conflict pass.
//
// libcsv reports fields and row ends but no positions, so we feed it one physical line at a
// time (a line ends at LF, CRLF or a lone CR, as libcsv's row ends do) and note the line a row
// starts on before the first non-blank byte of it is fed. Strict mode: a stray quote is a
// problem on its row rather than a silently different value.

#include "mapping/mapping.hpp"

#include <algorithm>
#include <array>

#include <csv.h>
#include <fmt/format.h>

#include "core/byte_source.hpp"
#include "core/utf8.hpp"

namespace cv::mapping {

// Friend of UserMapping: the one way in.
struct MappingBuilder {
    static UserMapping::Entries& entries(UserMapping& m) { return m.entries_; }
};

namespace {

constexpr std::array<std::string_view, 7> kPhoneNames = {"phone",  "phone number", "phonenumber", "mobile",
                                                         "number", "msisdn",       "whatsapp"};
constexpr std::array<std::string_view, 7> kEmailNames = {"email",         "e-mail", "mail", "emailaddress",
                                                         "email address", "upn",    "user"};

std::string_view trim(std::string_view s)
{
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string ascii_lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c + 32);
    return out;
}

// For messages: a cell as written, shortened so one bad cell cannot make a huge message.
std::string shown(std::string_view s)
{
    constexpr std::size_t kMax = 60;
    if (s.size() <= kMax)
        return std::string(s);
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
        --cut;  // not inside a UTF-8 sequence
    return std::string(s.substr(0, cut)) + "…";
}

template <std::size_t N> std::string join_names(const std::array<std::string_view, N>& names)
{
    std::string out;
    for (const auto n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

// RAII for libcsv's parser, which lives by value and owns a heap buffer.
class CsvParser {
public:
    explicit CsvParser(unsigned char delimiter) { reset(delimiter); }
    ~CsvParser() { csv_free(&p_); }
    CsvParser(const CsvParser&) = delete;
    CsvParser& operator=(const CsvParser&) = delete;

    void reset(unsigned char delimiter)
    {
        if (initialised_)
            csv_free(&p_);
        // csv_init only fails for unknown options; ours are constant.
        csv_init(&p_, CSV_STRICT | CSV_STRICT_FINI);
        csv_set_delim(&p_, delimiter);
        initialised_ = true;
    }
    csv_parser* get() { return &p_; }

private:
    csv_parser p_{};
    bool initialised_ = false;
};

// Exchange matches mailboxes without regard to ASCII case; domains are already lower case.
bool same_mailbox(std::string_view a, std::string_view b)
{
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

struct ValidRow {
    std::string e164;
    std::string email;
    std::uint64_t line;
};

// A duplicate or conflict, kept small until we know it will be listed.
struct LateProblem {
    std::uint64_t line;
    std::size_t row;          // index into rows_
    std::size_t group_begin;  // range of `order` with the same number
    std::size_t group_end;
    ProblemKind kind;
};

class Loader {
public:
    Loader(std::string_view file_name, const PhoneNormalizer& normalizer)
        : file_name_(file_name), normalizer_(normalizer)
    {
    }

    MappingLoad run(std::string_view text);

private:
    static void on_field(void* s, std::size_t len, void* self)
    {
        auto& fields = static_cast<Loader*>(self)->fields_;
        fields.emplace_back(s ? static_cast<const char*>(s) : "", s ? len : 0);
    }
    static void on_row(int, void* self) { static_cast<Loader*>(self)->end_row(); }

    void end_row();
    void take_header();
    void take_row();
    void problem(std::uint64_t line, std::string column, std::string message, ProblemKind kind);
    void refuse(std::uint64_t line, std::string message);
    void resolve_repeats();
    std::string late_message(const LateProblem& p) const;

    std::string_view file_name_;
    const PhoneNormalizer& normalizer_;
    MappingLoad out_;
    std::vector<RowProblem> row_problems_;  // in line order, capped
    std::uint64_t row_problems_total_ = 0;
    bool stop_ = false;

    std::vector<std::string> fields_;
    std::uint64_t row_line_ = 0;
    bool row_open_ = false;

    bool have_header_ = false;
    std::size_t phone_col_ = 0;
    std::size_t email_col_ = 0;
    std::string phone_name_;
    std::string email_name_;

    std::vector<ValidRow> rows_;
    std::vector<std::size_t> order_;  // rows_ sorted by number, then line
};

void Loader::problem(std::uint64_t line, std::string column, std::string message, ProblemKind kind)
{
    ++row_problems_total_;
    if (row_problems_.size() < kMaxProblems)
        row_problems_.push_back(RowProblem{line, std::move(column), std::move(message), kind});
}

void Loader::refuse(std::uint64_t line, std::string message)
{
    out_ = MappingLoad{};
    out_.rejected = true;
    out_.problems.push_back(RowProblem{line, {}, std::move(message), ProblemKind::File});
    stop_ = true;
}

void Loader::end_row()
{
    row_open_ = false;
    if (stop_) {
        fields_.clear();
        return;
    }
    const bool blank =
        std::all_of(fields_.begin(), fields_.end(), [](const std::string& f) { return trim(f).empty(); });
    if (!blank) {
        if (have_header_)
            take_row();
        else
            take_header();
    }
    fields_.clear();
}

void Loader::take_header()
{
    std::optional<std::size_t> phone, email;
    std::string found;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        const std::string name = ascii_lower(trim(fields_[i]));
        if (!found.empty())
            found += ", ";
        found += fmt::format("'{}'", shown(trim(fields_[i])));
        const bool is_phone = std::find(kPhoneNames.begin(), kPhoneNames.end(), name) != kPhoneNames.end();
        const bool is_email = std::find(kEmailNames.begin(), kEmailNames.end(), name) != kEmailNames.end();
        auto& slot = is_phone ? phone : email;
        if (!is_phone && !is_email)
            continue;
        if (slot) {
            refuse(row_line_,
                   fmt::format("{}: the header has two {} columns, '{}' (column {}) and '{}' (column "
                               "{}); keep one",
                               file_name_, is_phone ? "phone" : "email", trim(fields_[*slot]), *slot + 1,
                               trim(fields_[i]), i + 1));
            return;
        }
        slot = i;
    }
    if (!phone || !email) {
        // A first row that is data, not names, is the likeliest cause: say so.
        const bool looks_like_data = std::any_of(fields_.begin(), fields_.end(), [&](const std::string& f) {
            return f.find('@') != std::string::npos || normalizer_.to_e164(f).has_value() ||
                   phone_from_display_name(trim(f)).has_value();
        });
        refuse(row_line_,
               fmt::format("{}: no {} column: the header has {} (expected one of: {}){}", file_name_,
                           phone ? "email" : "phone", found, join_names(phone ? kEmailNames : kPhoneNames),
                           looks_like_data ? "; the first line looks like data: the file needs a header row "
                                             "such as 'phone,email'"
                                           : ""));
        return;
    }
    phone_col_ = *phone;
    email_col_ = *email;
    phone_name_ = std::string(trim(fields_[phone_col_]));
    email_name_ = std::string(trim(fields_[email_col_]));
    have_header_ = true;
}

void Loader::take_row()
{
    ++out_.rows;
    const std::size_t needed = std::max(phone_col_, email_col_) + 1;
    if (fields_.size() < needed) {
        const bool no_phone = fields_.size() <= phone_col_;
        const bool no_email = fields_.size() <= email_col_;
        problem(row_line_, no_phone ? phone_name_ : email_name_,
                fmt::format("the row has {} field{}; the {} column is column {}", fields_.size(),
                            fields_.size() == 1 ? "" : "s",
                            no_phone && no_email ? "phone and email"
                            : no_phone           ? "phone"
                                                 : "email",
                            no_phone ? phone_col_ + 1 : email_col_ + 1),
                ProblemKind::MissingField);
        return;
    }
    const std::string_view phone_text = trim(fields_[phone_col_]);
    const std::string_view email_text = trim(fields_[email_col_]);
    std::optional<std::string> e164, email;
    if (phone_text.empty()) {
        problem(row_line_, phone_name_, "no phone number", ProblemKind::MissingField);
    } else if (auto n = normalizer_.to_e164(phone_text)) {
        e164 = std::move(*n);
    } else {
        problem(row_line_, phone_name_, fmt::format("'{}': {}", shown(phone_text), n.error().message()),
                ProblemKind::InvalidPhone);
    }
    if (email_text.empty()) {
        problem(row_line_, email_name_, "no email address", ProblemKind::MissingField);
    } else if (auto e = normalize_email(email_text)) {
        email = std::move(*e);
    } else {
        problem(row_line_, email_name_, fmt::format("'{}': {}", shown(email_text), e.error().message()),
                ProblemKind::InvalidEmail);
    }
    if (e164 && email) {
        rows_.push_back(ValidRow{std::move(*e164), std::move(*email), row_line_});
    }
}

void Loader::resolve_repeats()
{
    order_.resize(rows_.size());
    for (std::size_t i = 0; i < order_.size(); ++i)
        order_[i] = i;
    // rows_ is in line order, so a stable sort keeps each number's rows in line order.
    std::stable_sort(order_.begin(), order_.end(),
                     [&](std::size_t a, std::size_t b) { return rows_[a].e164 < rows_[b].e164; });

    std::vector<LateProblem> late;
    auto& entries = MappingBuilder::entries(out_.mapping);
    entries.reserve(rows_.size());
    for (std::size_t b = 0; b < order_.size();) {
        std::size_t e = b + 1;
        while (e < order_.size() && rows_[order_[e]].e164 == rows_[order_[b]].e164)
            ++e;
        ValidRow& first = rows_[order_[b]];
        const bool conflict =
            std::any_of(order_.begin() + static_cast<std::ptrdiff_t>(b + 1),
                        order_.begin() + static_cast<std::ptrdiff_t>(e),
                        [&](std::size_t i) { return !same_mailbox(rows_[i].email, first.email); });
        if (conflict) {
            for (std::size_t i = b; i < e; ++i)
                late.push_back(LateProblem{rows_[order_[i]].line, order_[i], b, e, ProblemKind::Conflict});
        } else {
            entries.emplace(first.e164, std::move(first.email));  // no message names it again
            for (std::size_t i = b + 1; i < e; ++i)
                late.push_back(LateProblem{rows_[order_[i]].line, order_[i], b, e, ProblemKind::Duplicate});
        }
        b = e;
    }
    std::stable_sort(late.begin(), late.end(),
                     [](const LateProblem& x, const LateProblem& y) { return x.line < y.line; });

    // Merge the two line-ordered lists, listing the first kMaxProblems.
    const std::uint64_t total = row_problems_total_ + late.size();
    std::size_t r = 0, l = 0;
    while (out_.problems.size() < kMaxProblems && (r < row_problems_.size() || l < late.size())) {
        if (l == late.size() || (r < row_problems_.size() && row_problems_[r].line <= late[l].line)) {
            out_.problems.push_back(std::move(row_problems_[r++]));
        } else {
            const LateProblem& p = late[l++];
            out_.problems.push_back(RowProblem{p.line, phone_name_, late_message(p), p.kind});
        }
    }
    out_.problems_not_listed = total - out_.problems.size();
}

std::string Loader::late_message(const LateProblem& p) const
{
    const ValidRow& row = rows_[p.row];
    if (p.kind == ProblemKind::Duplicate)
        return fmt::format("{}: duplicate of line {}", row.e164, rows_[order_[p.group_begin]].line);
    constexpr std::size_t kListed = 5;
    std::string others;
    std::size_t listed = 0;
    for (std::size_t i = p.group_begin; i < p.group_end; ++i) {
        const ValidRow& other = rows_[order_[i]];
        if (order_[i] == p.row)
            continue;
        if (listed == kListed) {
            others += fmt::format(" and {} more", p.group_end - p.group_begin - 1 - kListed);
            break;
        }
        others += fmt::format("{}line {} ({})", listed ? ", " : "", other.line, other.email);
        ++listed;
    }
    return fmt::format("{}: {} here but also on {}; conflicting rows, so the number is not mapped", row.e164,
                       row.email, others);
}

MappingLoad Loader::run(std::string_view text)
{
    if (text.size() > kMaxMappingBytes) {
        refuse(0, fmt::format("{}: {} bytes is more than a mapping file may have ({} MiB)", file_name_,
                              text.size(), kMaxMappingBytes >> 20));
        return std::move(out_);
    }
    if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF")) {
        refuse(1, fmt::format("{}: the file is UTF-16; save it as UTF-8 (Excel: \"CSV UTF-8\")", file_name_));
        return std::move(out_);
    }
    if (text.starts_with("\xEF\xBB\xBF"))
        text.remove_prefix(3);
    if (const auto bad = utf8::first_invalid(text); bad != std::string_view::npos) {
        const auto before = text.substr(0, bad);
        const auto line = 1 + static_cast<std::uint64_t>(std::count(before.begin(), before.end(), '\n'));
        const auto line_start = before.rfind('\n');
        const auto column = bad - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
        refuse(line,
               fmt::format("{}: not UTF-8 (byte 0x{:02X} at line {}, column {}); save the file as UTF-8 "
                           "(Excel: \"CSV UTF-8\")",
                           file_name_, static_cast<unsigned char>(text[bad]), line, column));
        return std::move(out_);
    }

    // Excel writes ';' where the decimal mark is a comma: decide from the first non-blank line.
    unsigned char delimiter = CSV_COMMA;
    {
        std::size_t pos = 0;
        while (pos < text.size()) {
            auto end = text.find_first_of("\r\n", pos);
            if (end == std::string_view::npos)
                end = text.size();
            const auto line = text.substr(pos, end - pos);
            if (!trim(line).empty()) {
                if (line.find(',') == std::string_view::npos && line.find(';') != std::string_view::npos)
                    delimiter = ';';
                break;
            }
            pos = end + 1;
        }
    }

    CsvParser parser(delimiter);
    std::uint64_t line_no = 1;
    std::size_t pos = 0;
    while (pos < text.size() && !stop_) {
        auto end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos)
            end = text.size();
        else if (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n')
            end += 2;
        else
            ++end;
        const auto chunk = text.substr(pos, end - pos);
        if (!row_open_) {
            row_line_ = line_no;
            row_open_ = chunk.find_first_not_of(" \t\r\n") != std::string_view::npos;
        }
        if (csv_parse(parser.get(), chunk.data(), chunk.size(), on_field, on_row, this) != chunk.size()) {
            problem(row_line_, {},
                    "broken quoting: a '\"' inside an unquoted field, or text after a closing '\"' (inside "
                    "quotes, write a quote as \"\"); row skipped",
                    ProblemKind::Syntax);
            fields_.clear();
            row_open_ = false;
            parser.reset(delimiter);
            // The rest of this line is the broken row's; the next line starts afresh.
        }
        ++line_no;
        pos = end;
    }
    if (!stop_ && csv_fini(parser.get(), on_field, on_row, this) != 0) {
        problem(row_line_, {},
                fmt::format("a quoted field that starts on this row is never closed, so the rest of the file "
                            "({} lines) could not be read",
                            line_no - row_line_),
                ProblemKind::Syntax);
        fields_.clear();
    }
    if (stop_)
        return std::move(out_);
    if (!have_header_) {
        const bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
        refuse(0, fmt::format("{}: no header row{}; the first line must name the columns, e.g. 'phone,email'",
                              file_name_, blank ? ": the file is empty" : " could be read (broken quoting)"));
        return std::move(out_);
    }
    resolve_repeats();
    return std::move(out_);
}

}  // namespace

MappingLoad parse_mapping_csv(std::string_view csv_text, std::string_view file_name,
                              const PhoneNormalizer& normalizer)
{
    return Loader(file_name, normalizer).run(csv_text);
}

Result<MappingLoad> load_mapping_csv(const std::filesystem::path& path, const PhoneNormalizer& normalizer)
{
    CV_TRY(auto source, open_file_source(path));
    std::string text;
    std::vector<char> buf(1 << 20);
    for (;;) {
        auto n = source->read(buf);
        if (!n)
            return fail(std::move(n).error().with_context(fmt::format("reading {}", path.string())));
        if (*n == 0)
            break;
        if (text.size() + *n > kMaxMappingBytes)
            return fail(ErrorCode::LimitExceeded,
                        fmt::format("{}: larger than a mapping file may be ({} MiB)", path.string(),
                                    kMaxMappingBytes >> 20));
        text.append(buf.data(), *n);
    }
    return parse_mapping_csv(text, path.string(), normalizer);
}

}  // namespace cv::mapping

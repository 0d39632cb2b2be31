#pragma once
/// The user mapping: which mailbox a WhatsApp participant's items are archived to. Like
/// Microsoft 365's WhatsApp Archiver connector, a custom CSV of phone number → email decides
/// first, then the address the item's source carries ("automatic mapping"); a participant
/// neither knows is the caller's to quarantine.
///
/// Stages: text as written → E.164 (PhoneNormalizer) ; CSV bytes → MappingLoad
/// (parse_mapping_csv) ; Person + UserMapping → Mapped (map_person). Nothing here reads a
/// clock; only load_mapping_csv reads a file. libphonenumber and libcsv stay inside the .cpp
/// files of this folder.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "model/conversation.hpp"

namespace cv::mapping {

/// How far libphonenumber vouches for a number it accepted.
enum class NumberCheck {
    Valid,         ///< in a range the metadata knows is assigned
    PossibleOnly,  ///< the right length for its country, but in a range the (possibly older)
                   ///< metadata does not list: accepted, since new ranges appear every year
};

/// A number in E.164 form and how sure we are of it.
struct NormalizedPhone {
    std::string e164;  ///< "+4915112345678": '+', then 7 to 15 digits
    NumberCheck check = NumberCheck::Valid;
};

/// Turns phone numbers as people write them into E.164, the key of the user mapping.
///
/// Accepts national ("0151 12345678" with region DE) and international ("+49 151 12345678",
/// "0049 151 12345678", "tel:+49-151-12345678") forms with spaces, dashes, dots, slashes,
/// parentheses, no-break spaces (U+00A0, U+202F, U+2007, U+2009), invisible direction marks
/// (LRM, RLM, …) and Arabic-Indic or full-width digits. "+49 (0)151 …" is accepted: the
/// "(0)" is Germany's trunk prefix written out of habit, and libphonenumber drops it.
/// Rejects letters (no vanity numbers), extensions ("… ext. 5": WhatsApp numbers have
/// none) and numbers of fewer than 7 digits with the country code.
///
/// Cheap to copy (it holds only the region code). Thread-safe: const methods may be called
/// concurrently (libphonenumber's PhoneNumberUtil is a thread-safe singleton).
class PhoneNormalizer {
public:
    /// `default_region` is an ISO 3166 alpha-2 code ("DE", case-insensitive) that national
    /// numbers belong to; empty means only international numbers ("+…" or "00…") are
    /// accepted. Errors: InvalidArgument for a code libphonenumber does not know (the
    /// message gives an example of a valid one).
    static Result<PhoneNormalizer> create(std::string default_region);

    /// The number in E.164 ("+4915112345678"). Errors: InvalidArgument, with the reason in
    /// words: "not a number: contains 'x'", "too short for DE (+49)", "needs a country code:
    /// no --default-region given, …", "unknown country code", …
    Result<std::string> to_e164(std::string_view written) const;

    /// As to_e164, with whether the metadata knows the number's range (which costs one more
    /// metadata lookup, so the CSV loader uses to_e164).
    Result<NormalizedPhone> normalize(std::string_view written) const;

    /// The region national numbers are read in ("DE"), or empty.
    const std::string& default_region() const { return region_; }

private:
    explicit PhoneNormalizer(std::string region) : region_(std::move(region)) {}
    std::string region_;  // upper case, or empty
};

/// A mailbox address checked pragmatically (not RFC 5322's full grammar): exactly one '@';
/// a local part of at most 64 bytes without spaces, controls or the specials `"(),:;<>[\]`;
/// a domain with at least one dot whose labels are 1–63 letters, digits, hyphens (not at
/// either end) or UTF-8 (internationalised domains). Surrounding blanks are trimmed, the
/// domain's ASCII letters are lower-cased and the local part is kept as written.
/// Errors: InvalidArgument naming the fault ("no '@'", "domain 'x' has no dot", …).
Result<std::string> normalize_email(std::string_view written);

/// Phone number (E.164) → mailbox. Built by parse_mapping_csv, which guarantees that every
/// key is E.164 and every value passed normalize_email. Immutable once loaded; const
/// methods are safe to call concurrently.
class UserMapping {
public:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Entries = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;

    /// The mailbox mapped to `e164`, which must already be E.164 (see PhoneNormalizer).
    std::optional<std::string> email_for(std::string_view e164) const;

    /// Number of mapped phone numbers.
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

    /// Every mapping, in no particular order (for listings and checks).
    const Entries& entries() const { return entries_; }

private:
    friend struct MappingBuilder;  // parse_mapping_csv's helper, in csv.cpp
    Entries entries_;
};

/// What a problem is about, for a console that wants to group or highlight them.
enum class ProblemKind {
    File,          ///< the file as a whole (size, encoding, header): nothing was mapped
    Syntax,        ///< broken CSV quoting; the row was skipped
    MissingField,  ///< the row has too few fields, or an empty phone or email
    InvalidPhone,
    InvalidEmail,
    Duplicate,  ///< the same number and email as an earlier row: harmless, reported once
    Conflict,   ///< the number is on rows with different emails: the number is not mapped
};

/// One rejected row (or the rejected file).
struct RowProblem {
    /// 1-based physical line of the file where the row starts (a quoted field spanning
    /// lines counts each of its lines). For a File problem, the line at fault (the header,
    /// the first byte that is not UTF-8), or 0 when no line is (the file's size).
    std::uint64_t line = 0;
    /// The column's name as the header spells it ("Mobile"); empty for file and syntax
    /// problems.
    std::string column;
    /// What is wrong, in words a person can act on. A Duplicate or Conflict message starts
    /// with the E.164 number it is about.
    std::string message;
    ProblemKind kind = ProblemKind::File;
};

/// The result of reading a mapping CSV: the rows that were accepted, and the ones that were
/// not. A caller that wants all-or-nothing checks `problems.empty()`.
struct MappingLoad {
    UserMapping mapping;
    /// In line order, at most kMaxProblems; `problems_not_listed` counts the rest.
    std::vector<RowProblem> problems;
    std::uint64_t problems_not_listed = 0;
    /// Data rows read (not counting the header and empty rows).
    std::uint64_t rows = 0;
    /// True when the file as a whole was refused (a ProblemKind::File problem says why);
    /// the mapping is then empty.
    bool rejected = false;
};

/// Most problems listed in a MappingLoad.
inline constexpr std::size_t kMaxProblems = 1000;
/// Largest mapping file read (a mapping for a million users is about 50 MB).
inline constexpr std::size_t kMaxMappingBytes = 64u << 20;

/// Parses a mapping CSV held in memory (the web console's upload; the fuzzer).
///
/// The text is UTF-8 (a leading BOM is skipped) with RFC 4180 quoting and CRLF, LF or CR line
/// ends. The first non-empty row is the header; column names are matched case-insensitively
/// after trimming. The phone column is one of `phone`, `phone number`, `phonenumber`,
/// `mobile`, `number`, `msisdn`, `whatsapp`; the email column one of `email`, `e-mail`,
/// `mail`, `emailaddress`, `email address`, `upn`, `user`. Other columns are ignored. When the
/// header has no comma but a semicolon, ';' is the delimiter (what Excel writes in locales
/// whose decimal mark is a comma).
///
/// Rows are rejected (and listed in `problems`) for: an invalid phone or email; a missing
/// field; broken quoting; a repeat of an earlier row (Duplicate, "duplicate of line N");
/// a number that appears with different emails (Conflict: every line involved is listed and
/// the number is not mapped at all, because conflicting data must never silently pick a
/// side). Emails compare with the local part's ASCII case ignored, as Exchange does. The
/// same email for several numbers is fine (one person, two phones). Empty rows are skipped.
/// The whole file is refused when it is over kMaxMappingBytes, not UTF-8, has no header or
/// lacks (or has two) phone or email columns.
///
/// `file_name` only appears in messages. Never fails as a whole: every fault is a problem.
MappingLoad parse_mapping_csv(std::string_view csv_text, std::string_view file_name,
                              const PhoneNormalizer& normalizer);

/// Reads `path` and parses it with parse_mapping_csv. Errors: NotFound, Io,
/// LimitExceeded (over kMaxMappingBytes). Problems inside the file are in the MappingLoad.
Result<MappingLoad> load_mapping_csv(const std::filesystem::path& path, const PhoneNormalizer& normalizer);

/// Which rule gave a person their mailbox.
enum class MappedBy {
    Csv,     ///< the custom mapping CSV knew the phone number
    Source,  ///< the address the source carried (Person::email)
};
std::string_view to_string(MappedBy by);  ///< "csv", "source"

struct Mapped {
    std::string email;
    MappedBy by = MappedBy::Csv;
};

/// The mailbox for `person`, by precedence:
///  1. the CSV (`csv`, may be null), looked up by the person's phone normalised with
///     `normalizer` (a phone already in E.164 stays as it is); when the person has no phone
///     but a display name that is an international number ("+49 151 …", what WhatsApp shows
///     for unsaved contacts), by that number;
///  2. `person.email`, when it passes normalize_email;
///  3. nullopt: nobody knows this person, and the caller quarantines their items.
/// Pure; thread-safe.
std::optional<Mapped> map_person(const Person& person, const UserMapping* csv,
                                 const PhoneNormalizer& normalizer);

/// Parses the CLI's `--owner PHONE=EMAIL` ("+49 151 12345678=anna@example.com") into a
/// Person with `phone` (E.164), `email` (normalised) and `name` (the phone as written).
/// Errors: InvalidArgument naming the part at fault ("--owner '…': expected PHONE=EMAIL, …",
/// "--owner phone '0151': too short for DE (+49)", "--owner email 'anna': no '@'").
Result<Person> parse_owner(std::string_view spec, const PhoneNormalizer& normalizer);

}  // namespace cv::mapping

// PhoneNormalizer: the libphonenumber adapter. We clean what libphonenumber does not know
// (NNBSP, direction marks, "tel:" in any case) and refuse what it is too lenient about (it
// skips leading words and reads letters as keypad digits), then let it parse and judge.

#include "mapping/mapping.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "core/utf8.hpp"

namespace cv::mapping {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// E.164 numbers have at most 15 digits; fewer than 7 with the country code is no
// subscriber number anywhere (libphonenumber calls "+490151" possible for DE).
constexpr std::size_t kMinDigits = 7;
// Longer input is not a phone number however it is punctuated (libphonenumber stops at 250).
constexpr std::size_t kMaxWrittenBytes = 100;

bool is_blank_code_point(char32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == 0x00A0 || cp == 0x202F || cp == 0x2007 || cp == 0x2009;
}

bool is_separator(char32_t cp)
{
    return cp == '-' || cp == '.' || cp == '/' || cp == '(' || cp == ')' || (cp >= 0x2010 && cp <= 0x2015) ||
           cp == 0x2212;
}

// The digit a code point stands for, or -1: ASCII, Arabic-Indic, Extended Arabic-Indic (Persian,
// Urdu) and full-width digits, which spreadsheets in those locales write.
int digit_value(char32_t cp)
{
    for (const char32_t zero : {U'0', U'\u0660', U'\u06F0', U'\uFF10'})
        if (cp >= zero && cp <= zero + 9)
            return static_cast<int>(cp - zero);
    return -1;
}

std::string describe_code_point(std::string_view s, std::size_t pos, std::size_t len)
{
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c < 0x20 || c == 0x7F)
        return fmt::format("control character 0x{:02X}", c);
    return fmt::format("'{}'", s.substr(pos, len));
}

// "tel:", blanks, marks and separators out; digits to ASCII. Keeps a leading '+'. Returns the
// cleaned text or the reason it is not a phone number.
Result<std::string> clean(std::string_view written)
{
    if (written.size() > kMaxWrittenBytes)
        return fail(ErrorCode::InvalidArgument, "too long to be a phone number");
    std::string out;
    std::size_t i = 0;
    // Trim leading blanks and marks before looking for "tel:".
    for (;;) {
        std::size_t len = 0;
        if (i < written.size() && utf8::invisible_mark_length(written, i) > 0)
            i += utf8::invisible_mark_length(written, i);
        else if (i < written.size() && is_blank_code_point(utf8::decode(written, i, len)))
            i += len;
        else
            break;
    }
    if (written.size() - i >= 4) {
        std::string prefix(written.substr(i, 4));
        std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                       [](unsigned char c) { return static_cast<char>(c | 0x20); });
        if (prefix == "tel:")
            i += 4;
    }
    bool seen_digit = false;
    while (i < written.size()) {
        if (const std::size_t mark = utf8::invisible_mark_length(written, i)) {
            i += mark;
            continue;
        }
        std::size_t len = 0;
        const char32_t cp = utf8::decode(written, i, len);
        if (cp == utf8::kInvalid)
            return fail(ErrorCode::InvalidArgument, "not a number: invalid UTF-8");
        if (const int d = digit_value(cp); d >= 0) {
            out += static_cast<char>('0' + d);
            seen_digit = true;
        } else if (cp == '+' || cp == 0xFF0B) {
            if (seen_digit || out.find('+') != std::string::npos)
                return fail(ErrorCode::InvalidArgument, "not a number: '+' only belongs at the start");
            out += '+';
        } else if (is_blank_code_point(cp) || is_separator(cp)) {
            out += ' ';  // keep groups apart for libphonenumber's "(0)" handling
        } else {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("not a number: contains {}", describe_code_point(written, i, len)));
        }
        i += len;
    }
    if (!seen_digit)
        return fail(ErrorCode::InvalidArgument, "not a number: no digits");
    return out;
}

std::string region_of(const PhoneNumberUtil& util, int country_code)
{
    std::string region;
    util.GetRegionCodeForCountryCode(country_code, &region);
    return region == "ZZ" || region == "001" ? fmt::format("+{}", country_code)
                                             : fmt::format("{} (+{})", region, country_code);
}

std::string parse_error_words(PhoneNumberUtil::ErrorType e, const std::string& text,
                              const std::string& region)
{
    switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return region.empty() && !text.starts_with('+')
                   ? "needs a country code: no --default-region given, so national numbers "
                     "cannot be read (write it as +<country code> …)"
                   : "unknown country code";
    case PhoneNumberUtil::NOT_A_NUMBER: return "not a number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN: return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN: return "too long";
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
    }
    return "not a number";
}

struct Parsed {
    PhoneNumber number;
    PhoneNumberUtil::ValidationResult possible = PhoneNumberUtil::INVALID_LENGTH;
};

Result<Parsed> parse_with(const PhoneNumberUtil& util, const std::string& text, const std::string& region)
{
    Parsed p;
    const auto e = util.Parse(text, region.empty() ? "ZZ" : region, &p.number);
    if (e != PhoneNumberUtil::NO_PARSING_ERROR) {
        std::string words = parse_error_words(e, text, region);
        if ((e == PhoneNumberUtil::TOO_SHORT_NSN || e == PhoneNumberUtil::TOO_LONG_NSN) && !region.empty() &&
            !text.starts_with('+'))
            words += " for " + region_of(util, util.GetCountryCodeForRegion(region));
        return fail(ErrorCode::InvalidArgument, std::move(words));
    }
    p.possible = util.IsPossibleNumberWithReason(p.number);
    return p;
}

// Whether to ask the metadata if the number's range is assigned (a third of the cost).
enum class Judge { LengthOnly, Validity };

Result<NormalizedPhone> normalize_in(const std::string& region, std::string_view written, Judge judge)
{
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    CV_TRY(auto text, clean(written));

    // "00" is the international prefix of most of the world; read it so even where the
    // region's own prefix differs (US: 011) or no region was given.
    const auto digits_start = text.find_first_not_of(' ');
    const bool double_zero = text.compare(digits_start, 2, "00") == 0;
    const std::string as_plus = double_zero ? "+" + text.substr(digits_start + 2) : std::string();
    auto parsed = parse_with(util, region.empty() && double_zero ? as_plus : text, region);
    if (double_zero && !region.empty() && (!parsed || parsed->possible != PhoneNumberUtil::IS_POSSIBLE)) {
        if (auto retry = parse_with(util, as_plus, region);
            retry && retry->possible == PhoneNumberUtil::IS_POSSIBLE)
            parsed = std::move(retry);
    }
    if (!parsed)
        return fail(std::move(parsed).error());
    const auto& number = parsed->number;
    if (number.has_extension())
        return fail(ErrorCode::InvalidArgument, "has an extension; a WhatsApp number has none");

    const std::string where = region_of(util, number.country_code());
    switch (parsed->possible) {
    case PhoneNumberUtil::IS_POSSIBLE: break;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("too short for {}: at most a local number; add the area code", where));
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown country code +{}", number.country_code()));
    case PhoneNumberUtil::TOO_SHORT:
        return fail(ErrorCode::InvalidArgument, fmt::format("too short for {}", where));
    case PhoneNumberUtil::TOO_LONG:
        return fail(ErrorCode::InvalidArgument, fmt::format("too long for {}", where));
    case PhoneNumberUtil::INVALID_LENGTH:
        return fail(ErrorCode::InvalidArgument, fmt::format("wrong number of digits for {}", where));
    }

    NormalizedPhone out;
    util.Format(number, PhoneNumberUtil::E164, &out.e164);
    if (out.e164.size() - 1 < kMinDigits)
        return fail(ErrorCode::InvalidArgument, fmt::format("too short for {}", where));
    if (out.e164.size() - 1 > 15)
        return fail(ErrorCode::InvalidArgument, fmt::format("too long for {}", where));
    // The key must read back as itself, or the same person gets two keys. libphonenumber drops
    // one trunk '0' per parse, so "+49 00…" would become "+490…" and then "+49…".
    // Parsing is deterministic, so input already written as that E.164 is a fixed point.
    std::string written_compact = text;
    std::erase(written_compact, ' ');
    PhoneNumber again;
    std::string again_e164;
    if (written_compact != out.e164 &&
        util.Parse(out.e164, "ZZ", &again) == PhoneNumberUtil::NO_PARSING_ERROR)
        util.Format(again, PhoneNumberUtil::E164, &again_e164);
    if (written_compact != out.e164 && again_e164 != out.e164)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("not a number for {}: too many '0's after the country code", where));
    if (judge == Judge::Validity)
        out.check = util.IsValidNumber(number) ? NumberCheck::Valid : NumberCheck::PossibleOnly;
    return out;
}

}  // namespace

Result<PhoneNormalizer> PhoneNormalizer::create(std::string default_region)
{
    std::transform(default_region.begin(), default_region.end(), default_region.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
    if (default_region.empty())
        return PhoneNormalizer(std::move(default_region));
    std::set<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    if (!regions.contains(default_region))
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown region '{}': use an ISO 3166 alpha-2 country code such as DE, "
                                "GB or US",
                                default_region));
    return PhoneNormalizer(std::move(default_region));
}

Result<std::string> PhoneNormalizer::to_e164(std::string_view written) const
{
    CV_TRY(auto n, normalize_in(region_, written, Judge::LengthOnly));
    return std::move(n.e164);
}

Result<NormalizedPhone> PhoneNormalizer::normalize(std::string_view written) const
{
    return normalize_in(region_, written, Judge::Validity);
}

}  // namespace cv::mapping

#include "mapping/mapping.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace cv::mapping {

namespace {

constexpr std::string_view kBlanks = " \t";

std::string_view trim(std::string_view s)
{
    const auto b = s.find_first_not_of(kBlanks);
    if (b == std::string_view::npos)
        return {};
    return s.substr(b, s.find_last_not_of(kBlanks) - b + 1);
}

bool is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Result<void> check_local_part(std::string_view local)
{
    if (local.empty())
        return fail(ErrorCode::InvalidArgument, "nothing before the '@'");
    if (local.size() > 64)
        return fail(ErrorCode::InvalidArgument, "the part before the '@' is longer than 64 bytes");
    for (std::size_t i = 0; i < local.size();) {
        const auto c = static_cast<unsigned char>(local[i]);
        if (c <= 0x20 || c == 0x7F)
            return fail(ErrorCode::InvalidArgument,
                        c == ' ' ? "contains a space" : "contains a control character");
        if (std::string_view("\"(),:;<>[\\]").find(static_cast<char>(c)) != std::string_view::npos)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("'{}' is not allowed before the '@'", static_cast<char>(c)));
        std::size_t len = 1;
        if (c >= 0x80) {
            const char32_t cp = utf8::decode(local, i, len);
            if (cp == utf8::kInvalid)
                return fail(ErrorCode::InvalidArgument, "invalid UTF-8");
            if (cp == 0xA0 || cp == 0x202F || cp == 0x2007 || (cp >= 0x2000 && cp <= 0x200B) ||
                cp == 0x3000 || (cp >= 0x80 && cp < 0xA0) || utf8::invisible_mark_length(local, i) > 0)
                return fail(ErrorCode::InvalidArgument, "contains a space or invisible character");
        }
        i += len;
    }
    return {};
}

// Lower-cases ASCII letters in place; returns the fault, if any.
Result<void> check_domain(std::string& domain)
{
    if (domain.empty())
        return fail(ErrorCode::InvalidArgument, "nothing after the '@'");
    if (domain.size() > 253)
        return fail(ErrorCode::InvalidArgument, "the domain is longer than 253 bytes");
    if (domain.find('.') == std::string::npos)
        return fail(ErrorCode::InvalidArgument, fmt::format("domain '{}' has no dot", domain));
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= domain.size(); ++i) {
        if (i == domain.size() || domain[i] == '.') {
            const std::size_t len = i - label_start;
            if (len == 0)
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("domain '{}' has an empty label", domain));
            if (len > 63)
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("domain '{}' has a label longer than 63 bytes", domain));
            if (domain[label_start] == '-' || domain[i - 1] == '-')
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("domain '{}' has a label that starts or ends with '-'", domain));
            label_start = i + 1;
            continue;
        }
        const auto c = static_cast<unsigned char>(domain[i]);
        if (c >= 'A' && c <= 'Z') {
            domain[i] = static_cast<char>(c + 32);
        } else if (c >= 0x80) {
            std::size_t len = 0;
            const char32_t cp = utf8::decode(domain, i, len);
            if (cp == utf8::kInvalid)
                return fail(ErrorCode::InvalidArgument, "invalid UTF-8");
            if (cp < 0xA0 || cp == 0x202F || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x3000 ||
                utf8::invisible_mark_length(domain, i) > 0)
                return fail(ErrorCode::InvalidArgument, "the domain contains a space or invisible character");
            i += len - 1;
        } else if (!is_ascii_alnum(c) && c != '-') {
            return fail(ErrorCode::InvalidArgument,
                        c < 0x20 || c == 0x7F
                            ? std::string("the domain contains a control character")
                            : fmt::format("'{}' is not allowed in the domain", static_cast<char>(c)));
        }
    }
    return {};
}

}  // namespace

Result<std::string> normalize_email(std::string_view written)
{
    const std::string_view s = trim(written);
    if (s.empty())
        return fail(ErrorCode::InvalidArgument, "empty");
    const auto at = s.find('@');
    if (at == std::string_view::npos)
        return fail(ErrorCode::InvalidArgument, "no '@'");
    if (s.find('@', at + 1) != std::string_view::npos)
        return fail(ErrorCode::InvalidArgument, "more than one '@'");
    const std::string_view local = s.substr(0, at);
    std::string domain(s.substr(at + 1));
    CV_TRY_VOID(check_local_part(local));
    CV_TRY_VOID(check_domain(domain));
    std::string out(local);
    out += '@';
    out += domain;
    return out;
}

std::optional<std::string> UserMapping::email_for(std::string_view e164) const
{
    const auto it = entries_.find(e164);
    if (it == entries_.end())
        return std::nullopt;
    return it->second;
}

std::string_view to_string(MappedBy by)
{
    switch (by) {
    case MappedBy::Csv: return "csv";
    case MappedBy::Source: return "source";
    }
    return "csv";
}

std::optional<Mapped> map_person(const Person& person, const UserMapping* csv,
                                 const PhoneNormalizer& normalizer)
{
    if (csv && !csv->empty()) {
        std::optional<std::string> e164;
        if (person.phone) {
            if (auto n = normalizer.to_e164(*person.phone))
                e164 = std::move(*n);
        } else if (phone_from_display_name(person.name)) {
            // Only international display names qualify: a national-looking name ("0151 …") may be
            // a contact's label, and reading it in the default region would be a guess.
            if (auto n = normalizer.to_e164(person.name))
                e164 = std::move(*n);
        }
        if (e164)
            if (auto email = csv->email_for(*e164))
                return Mapped{std::move(*email), MappedBy::Csv};
    }
    if (person.email)
        if (auto email = normalize_email(*person.email))
            return Mapped{std::move(*email), MappedBy::Source};
    return std::nullopt;
}

Result<Person> parse_owner(std::string_view spec, const PhoneNormalizer& normalizer)
{
    // A phone number never contains '=' (an email's local part may): split at the first one.
    const auto eq = spec.find('=');
    if (eq == std::string_view::npos)
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("--owner '{}': expected PHONE=EMAIL, e.g. +4915112345678=anna@example.com", spec));
    const std::string_view phone = trim(spec.substr(0, eq));
    const std::string_view email = trim(spec.substr(eq + 1));
    if (phone.empty())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--owner '{}': no phone number before the '='", spec));
    auto e164 = normalizer.to_e164(phone);
    if (!e164)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--owner phone '{}': {}", phone, e164.error().message()));
    auto address = normalize_email(email);
    if (!address)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--owner email '{}': {}", email, address.error().message()));
    Person p;
    p.name = std::string(phone);
    p.phone = std::move(*e164);
    p.email = std::move(*address);
    return p;
}

}  // namespace cv::mapping

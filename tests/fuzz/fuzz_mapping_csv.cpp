// Fuzz target for the user-mapping CSV: arbitrary bytes through parse_mapping_csv (libcsv,
// UTF-8 checks, libphonenumber with region DE, email checks, the duplicate/conflict pass).
// Invariants, whatever the input: problem lines lie inside the file and come in line order;
// every mapped number is E.164; every mapped email is already normalised; no number named in a
// conflict is mapped; a refused file maps nothing.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "mapping/mapping.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Physical lines as the parser counts them: LF, CRLF and a lone CR each end one.
std::uint64_t count_lines(std::string_view s)
{
    std::uint64_t lines = 1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')))
            ++lines;
    }
    return lines;
}

bool is_e164(std::string_view s)
{
    return s.size() >= 8 && s.size() <= 16 && s[0] == '+' &&
           std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const auto normalizer = cv::mapping::PhoneNormalizer::create("DE");
    if (!normalizer)
        __builtin_trap();  // "DE" must be a known region
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto load = cv::mapping::parse_mapping_csv(text, "fuzz.csv", *normalizer);

    const std::uint64_t lines = count_lines(text);
    if (load.problems.size() > cv::mapping::kMaxProblems)
        __builtin_trap();
    for (std::size_t i = 0; i < load.problems.size(); ++i) {
        const auto& p = load.problems[i];
        if (p.line > lines + 1 || p.message.empty())
            __builtin_trap();
        if (i > 0 && p.line < load.problems[i - 1].line)
            __builtin_trap();  // problems are listed in line order
        if (p.kind == cv::mapping::ProblemKind::Conflict) {
            const auto number = std::string_view(p.message).substr(0, p.message.find(':'));
            if (!is_e164(number) || load.mapping.email_for(number))
                __builtin_trap();  // a conflicting number must never be mapped
        }
    }
    if (load.rejected && (!load.mapping.empty() || load.problems.size() != 1))
        __builtin_trap();
    for (const auto& [phone, email] : load.mapping.entries()) {
        if (!is_e164(phone))
            __builtin_trap();
        const auto again = cv::mapping::normalize_email(email);
        if (!again || *again != email)
            __builtin_trap();  // normalize_email must be idempotent on what it accepted
        const auto renormalised = normalizer->to_e164(phone);
        if (!renormalised || *renormalised != phone)
            __builtin_trap();  // E.164 must be a fixed point of the normaliser
    }
    return 0;
}

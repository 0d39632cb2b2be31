#pragma once
/// Reading a stored JSON document (a hold, a policy, a case, a user, a token) field by field,
/// so that a damaged or hand-made one gets an error naming the document and the field
/// ("policy 'p1': period: expected an object") instead of an exception. Header-only: only the
/// libraries that keep documents (and so link nlohmann_json) include it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace cv {

/// Reads the fields of one JSON object; keeps the first problem, naming `what` and the field.
class JsonFields {
public:
    using json = nlohmann::json;

    JsonFields(const json& j, std::string what) : j_(j), what_(std::move(what))
    {
        if (!j_.is_object())
            problem("", "expected a JSON object");
    }

    std::string text(const char* key, bool required = true)
    {
        if (!has(key, required))
            return {};
        if (!j_[key].is_string()) {
            problem(key, "expected a string");
            return {};
        }
        return j_[key].get<std::string>();
    }
    std::int64_t integer(const char* key, bool required = true)
    {
        if (!has(key, required))
            return 0;
        if (!j_[key].is_number_integer()) {
            problem(key, "expected a whole number");
            return 0;
        }
        return j_[key].get<std::int64_t>();
    }
    std::optional<std::int64_t> maybe_integer(const char* key)
    {
        if (!j_.is_object() || !j_.contains(key) || j_[key].is_null())
            return std::nullopt;
        return integer(key);
    }
    bool boolean(const char* key)
    {
        if (!has(key, false))
            return false;
        if (!j_[key].is_boolean()) {
            problem(key, "expected true or false");
            return false;
        }
        return j_[key].get<bool>();
    }
    std::vector<std::string> texts(const char* key)
    {
        std::vector<std::string> out;
        if (!has(key, false))
            return out;
        if (!j_[key].is_array()) {
            problem(key, "expected a list of strings");
            return out;
        }
        for (const auto& v : j_[key]) {
            if (!v.is_string()) {
                problem(key, "expected a list of strings");
                return {};
            }
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    /// A required list of names, each read by `parse` (parse_role, parse_permission).
    template <class T, class Parse> std::vector<T> names(const char* key, Parse parse, std::string_view noun)
    {
        std::vector<T> out;
        const auto words = has(key, true) ? texts(key) : std::vector<std::string>{};
        for (const auto& w : words) {
            const auto x = parse(w);
            if (!x) {
                problem(key, fmt::format("unknown {} '{}'", noun, w));
                return {};
            }
            out.push_back(*x);
        }
        return out;
    }
    const json* object(const char* key)
    {
        if (!has(key, false) || j_[key].is_null())
            return nullptr;
        return &j_[key];
    }
    const json* list(const char* key)
    {
        if (!has(key, false))
            return nullptr;
        if (!j_[key].is_array()) {
            problem(key, "expected a list");
            return nullptr;
        }
        return &j_[key];
    }
    void problem(std::string_view key, std::string_view what)
    {
        if (error_.empty())
            error_ = key.empty() ? fmt::format("{}: {}", what_, what)
                                 : fmt::format("{}: {}: {}", what_, key, what);
    }
    /// A nested reader's problem: its message names the field path already.
    void adopt(const std::string& nested)
    {
        if (error_.empty())
            error_ = nested;
    }
    const std::string& error() const { return error_; }

private:
    bool has(const char* key, bool required)
    {
        if (j_.is_object() && j_.contains(key))
            return true;
        if (required)
            problem(key, "missing");
        return false;
    }
    const json& j_;
    std::string what_;
    std::string error_;
};

/// Parses a stored document. Errors: Parse ("`what`: not valid JSON").
inline Result<nlohmann::json> parse_json_document(std::string_view text, std::string_view what)
{
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
        return fail(ErrorCode::Parse, fmt::format("{}: not valid JSON", what));
    return j;
}

}  // namespace cv

#pragma once
/// cv::Error: what went wrong, in words a person can act on, with the chain of what we were
/// doing when it happened ("reading chat.zip" → "entry _chat.txt").

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace cv {

/// The kinds of failure. One table (exit_code) maps them to CLI exit codes.
enum class ErrorCode {
    InvalidArgument,  ///< the caller asked for something that cannot be (bad option, bad zone)
    NotFound,         ///< a named file, entry or zone does not exist
    Io,               ///< the operating system refused a read or write
    Parse,            ///< input is not in the expected format
    Unsupported,      ///< input is recognised but not a kind we read
    LimitExceeded,    ///< input exceeds a safety limit (zip bomb, oversized line)
    Refused,          ///< a server said no: login, permission, quota (trying again will not help by itself)
    Unavailable,      ///< a server could not be reached or dropped us (trying again later may work)
    Internal,         ///< a bug: an invariant broke
};

/// Name of a code, for messages and JSON ("parse", "not_found", …).
std::string_view to_string(ErrorCode code);

/// Process exit code for a failure of this kind (sysexits-style: 64 usage, 65 data, 66 no input,
/// 74 I/O, 70 internal).
int exit_code(ErrorCode code);

/// HTTP status for a failure of this kind (the service's answer to a request that failed).
int http_status(ErrorCode code);

class [[nodiscard]] Error {
public:
    Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

    /// Adds what the caller was doing; printed outermost first.
    Error&& with_context(std::string context) &&
    {
        context_.push_back(std::move(context));
        return std::move(*this);
    }

    ErrorCode code() const { return code_; }
    const std::string& message() const { return message_; }
    const std::vector<std::string>& context() const { return context_; }

    /// "reading x.zip: entry _chat.txt: line 3: …" — the context chain then the message.
    std::string describe() const;

private:
    ErrorCode code_;
    std::string message_;
    std::vector<std::string> context_;  // innermost first, as added while unwinding
};

}  // namespace cv

template <> struct fmt::formatter<cv::Error> : fmt::formatter<std::string_view> {
    auto format(const cv::Error& e, format_context& ctx) const
    {
        return fmt::formatter<std::string_view>::format(e.describe(), ctx);
    }
};

#include "core/error.hpp"

namespace cv {

std::string_view to_string(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Io: return "io";
    case ErrorCode::Parse: return "parse";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::LimitExceeded: return "limit_exceeded";
    case ErrorCode::Refused: return "refused";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Internal: return "internal";
    }
    return "internal";
}

int exit_code(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return 64;  // EX_USAGE
    case ErrorCode::NotFound: return 66;         // EX_NOINPUT
    case ErrorCode::Io: return 74;               // EX_IOERR
    case ErrorCode::Parse:
    case ErrorCode::Unsupported:
    case ErrorCode::LimitExceeded: return 65;  // EX_DATAERR
    case ErrorCode::Refused: return 77;        // EX_NOPERM
    case ErrorCode::Unavailable: return 69;    // EX_UNAVAILABLE
    case ErrorCode::Internal: return 70;       // EX_SOFTWARE
    }
    return 70;
}

int http_status(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::Parse: return 400;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::Unsupported: return 415;
    case ErrorCode::LimitExceeded: return 413;
    case ErrorCode::Refused: return 409;  // a change the rules do not allow (a locked policy)
    case ErrorCode::Unavailable: return 503;
    case ErrorCode::Io:
    case ErrorCode::Internal: return 500;
    }
    return 500;
}

std::string Error::describe() const
{
    std::string out;
    for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
        out += *it;
        out += ": ";
    }
    out += message_;
    return out;
}

}  // namespace cv

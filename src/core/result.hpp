#pragma once
/// The one place that includes tl::expected. Everything that can fail across a boundary
/// returns cv::Result<T>; use only the std::expected subset (and_then, or_else, transform,
/// value_or, error()) so that moving to C++23 is a one-line change here.

#include <tl/expected.hpp>

#include "core/error.hpp"

namespace cv {

template <class T> using Result = tl::expected<T, Error>;

/// Wraps an Error for returning from a function whose type is Result<T>.
inline tl::unexpected<Error> fail(Error e)
{
    return tl::unexpected<Error>(std::move(e));
}

/// Shorthand: `return fail(ErrorCode::Parse, "…")`.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return tl::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace cv

#define CV_CONCAT_INNER(a, b) a##b
#define CV_CONCAT(a, b) CV_CONCAT_INNER(a, b)

/// Propagates a failed Result, otherwise binds its value: `CV_TRY(auto rows, db.query(sql));`
/// A statement macro (not a GNU statement expression) so that -Wpedantic stays quiet.
#define CV_TRY(decl, expr)                                                                                   \
    auto CV_CONCAT(cv_try_, __LINE__) = (expr);                                                              \
    if (!CV_CONCAT(cv_try_, __LINE__))                                                                       \
        return ::tl::unexpected<::cv::Error>(std::move(CV_CONCAT(cv_try_, __LINE__)).error());               \
    decl = std::move(*CV_CONCAT(cv_try_, __LINE__))

/// Propagates a failed Result<void> (or any Result whose value is not needed).
#define CV_TRY_VOID(expr)                                                                                    \
    do {                                                                                                     \
        auto cv_try_void_ = (expr);                                                                          \
        if (!cv_try_void_)                                                                                   \
            return ::tl::unexpected<::cv::Error>(std::move(cv_try_void_).error());                           \
    } while (false)

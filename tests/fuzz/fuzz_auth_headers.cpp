// Fuzz target for what the HTTP service reads from outside before anyone is authenticated — the
// Cookie and Authorization headers — and for the user and token documents read back from the
// archive. The first byte picks the reader, the rest is its input (for cookies: the cookie name,
// a newline, the header). Invariants: no crash; a header parser returns a view into its input
// (no copy, nothing past its end); a bearer token has no space in it; a document that reads
// writes back to JSON that reads as the same value; every error has a message.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/auth/auth.hpp"
#include "server/auth/detail/documents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void inside(std::string_view part, std::string_view whole)
{
    if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size())
        std::abort();
}

template <class T, class Read> void round_trip(const cv::Result<T>& first, Read read)
{
    if (!first) {
        if (first.error().message().empty())
            std::abort();
        return;
    }
    const auto again = read(cv::auth::detail::to_json(*first));
    if (!again || !(*again == *first))
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace auth = cv::auth;
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
    case 0: {
        const auto nl = text.find('\n');
        const std::string_view name =
            nl == std::string_view::npos ? std::string_view("cv_session") : text.substr(0, nl);
        const std::string_view header = nl == std::string_view::npos ? text : text.substr(nl + 1);
        if (const auto v = auth::cookie_value(header, name))
            inside(*v, header);
        break;
    }
    case 1:
        if (const auto t = auth::bearer_token(text)) {
            inside(*t, text);
            if (t->empty() || t->find(' ') != std::string_view::npos ||
                t->find('\t') != std::string_view::npos)
                std::abort();
        }
        break;
    case 2: round_trip(auth::detail::user_from_json(text), auth::detail::user_from_json); break;
    case 3: round_trip(auth::detail::token_from_json(text), auth::detail::token_from_json); break;
    default:
        if (const auto r = auth::check_user_name(text); !r && r.error().message().empty())
            std::abort();
        break;
    }
    return 0;
}

// Console sessions and the login throttle (in memory), and the two request headers that carry
// credentials.

#include <algorithm>

#include "server/auth/auth.hpp"
#include "server/auth/detail/secrets.hpp"

namespace cv::auth {

namespace {

constexpr std::string_view kSessionHashPurpose = "chatvault.auth.session.v1";
constexpr std::size_t kRandomBytes = 32;  // 256 bits

std::string session_key(std::string_view id)
{
    return detail::keyed_hash_hex(kSessionHashPurpose, id);
}

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

bool b64token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

}  // namespace

// ---- sessions ------------------------------------------------------------------------------

void Sessions::drop_expired(std::int64_t now)
{
    std::erase_if(sessions_, [now](const auto& kv) {
        const Entry& e = kv.second;
        return now >= e.last_seen + kIdleSeconds || now >= e.created + kAbsoluteSeconds;
    });
}

Sessions::Session Sessions::create(Principal principal, std::int64_t now)
{
    Session s{detail::random_base64url(kRandomBytes), detail::random_base64url(kRandomBytes),
              std::move(principal), now, now};
    const std::lock_guard lock(mutex_);
    drop_expired(now);
    sessions_[session_key(s.id)] = Entry{s.csrf, s.principal, now, now};
    return s;
}

std::optional<Sessions::Session> Sessions::find(std::string_view id, std::int64_t now)
{
    if (id.empty())
        return std::nullopt;
    const std::string key = session_key(id);
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end())
        return std::nullopt;
    Entry& e = it->second;
    if (now >= e.last_seen + kIdleSeconds || now >= e.created + kAbsoluteSeconds) {
        sessions_.erase(it);
        return std::nullopt;
    }
    e.last_seen = std::max(e.last_seen, now);
    return Session{std::string(id), e.csrf, e.principal, e.created, e.last_seen};
}

void Sessions::remove(std::string_view id)
{
    const std::string key = session_key(id);
    const std::lock_guard lock(mutex_);
    sessions_.erase(key);
}

void Sessions::remove_user(std::string_view user)
{
    const std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [user](const auto& kv) { return kv.second.principal.user == user; });
}

std::size_t Sessions::size() const
{
    const std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool Sessions::csrf_matches(const Session& session, std::string_view header_value)
{
    return !session.csrf.empty() && detail::equal_constant_time(session.csrf, header_value);
}

// ---- throttle ------------------------------------------------------------------------------

void LoginThrottle::prune(std::int64_t now)
{
    // Now and then, not at every call: forget addresses with no attempt in the window, so that
    // many addresses trying once each do not grow the map for ever. Once a window, or when the
    // map has doubled since the last time (amortised O(1) under a flood of addresses).
    if (now - last_prune_ < kWindowSeconds && attempts_.size() < prune_at_)
        return;
    last_prune_ = now;
    std::erase_if(attempts_, [now](const auto& kv) {
        return kv.second.empty() || kv.second.back() <= now - kWindowSeconds;
    });
    prune_at_ = std::max<std::size_t>(10'000, 2 * attempts_.size());
}

std::optional<std::int64_t> LoginThrottle::retry_after(std::string_view remote, std::int64_t now)
{
    const std::lock_guard lock(mutex_);
    const auto it = attempts_.find(remote);
    if (it == attempts_.end())
        return std::nullopt;
    auto& times = it->second;
    std::erase_if(times, [now](std::int64_t t) { return t <= now - kWindowSeconds; });
    if (times.size() < kAttempts)
        return std::nullopt;
    // The oldest attempt in the window leaves it at times.front() + kWindowSeconds.
    return std::max<std::int64_t>(1, times.front() + kWindowSeconds - now);
}

void LoginThrottle::note_attempt(std::string_view remote, std::int64_t now)
{
    const std::lock_guard lock(mutex_);
    prune(now);
    auto it = attempts_.find(remote);
    if (it == attempts_.end())
        it = attempts_.emplace(std::string(remote), std::vector<std::int64_t>{}).first;
    auto& times = it->second;
    std::erase_if(times, [now](std::int64_t t) { return t <= now - kWindowSeconds; });
    times.push_back(now);
    std::sort(times.begin(), times.end());  // clocks passed in need not be monotonic
    if (times.size() > kAttempts)
        times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(kAttempts));
}

// ---- headers -------------------------------------------------------------------------------

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name)
{
    if (name.empty())
        return std::nullopt;
    while (!header.empty()) {
        const auto semi = header.find(';');
        const std::string_view pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name)
            continue;
        std::string_view value = trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return value;
    }
    return std::nullopt;
}

std::optional<std::string_view> bearer_token(std::string_view header)
{
    header = trim(header);
    constexpr std::string_view kScheme = "bearer";
    if (header.size() <= kScheme.size() || !is_ows(header[kScheme.size()]))
        return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        const char c = header[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i])
            return std::nullopt;
    }
    const std::string_view token = trim(header.substr(kScheme.size()));
    std::size_t i = 0;
    while (i < token.size() && b64token_char(token[i]))
        ++i;
    if (i == 0)
        return std::nullopt;
    while (i < token.size() && token[i] == '=')
        ++i;
    if (i != token.size())
        return std::nullopt;
    return token;
}

}  // namespace cv::auth

#pragma once
/// A connection to an IMAP server, logged in. libcurl does what it does well — TCP, TLS
/// (implicit or STARTTLS, certificates verified by default), the greeting and SASL
/// authentication (PLAIN, LOGIN, XOAUTH2) — in CONNECT_ONLY mode; after that this class
/// carries bytes both ways. The commands curl lacks (APPEND with INTERNALDATE and LITERAL+,
/// SEARCH by header, CREATE) are written in session.cpp.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv::deliver::imap {

enum class Mechanism { Plain, Login, XOAuth2 };

struct ConnectSpec {
    std::string url;          ///< imaps://host[:993] or imap://host[:143] (STARTTLS)
    bool require_tls = true;  ///< imap:// must upgrade with STARTTLS; false allows cleartext
    bool verify_peer = true;  ///< check the server's certificate and name
    std::string ca_file;      ///< trust these CAs instead of the system's
    Mechanism mechanism = Mechanism::Plain;
    std::string user;
    std::string secret;  ///< password, or the bearer token for XOAUTH2; never logged
    std::chrono::milliseconds timeout{30000};
};

class Connection {
public:
    /// Errors: Refused (login refused, STARTTLS not offered, certificate rejected),
    /// Unavailable (cannot connect, timed out), InvalidArgument (a bad URL).
    static Result<Connection> open(const ConnectSpec& spec);
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    /// Errors: Unavailable (the connection broke or timed out).
    Result<void> write(std::string_view bytes);
    /// One response with its literals inline and without its final CRLF. Errors: Unavailable,
    /// LimitExceeded (a response over 64 MiB).
    Result<std::string> read_unit();

private:
    struct Impl;
    explicit Connection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cv::deliver::imap

#include "deliver/imap/session.hpp"

#include <algorithm>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "deliver/imap/mutf7.hpp"
#include "deliver/imap/response.hpp"

namespace cv::deliver::imap {

namespace {

// Response codes (RFC 5530, RFC 3501) that say no message will be taken into this folder now.
bool mailbox_wide_code(std::string_view code)
{
    return code == "OVERQUOTA" || code == "NOPERM" || code == "TRYCREATE" || code == "LIMIT" ||
           code == "INUSE" || code == "UNAVAILABLE" || code == "SERVERBUG" || code == "EXPUNGEISSUED" ||
           code == "AUTHORIZATIONFAILED";
}

std::string describe_refusal(const Response& r)
{
    std::string why;
    if (r.code == "OVERQUOTA")
        why = "mailbox is over quota";
    else if (r.code == "NOPERM")
        why = "no permission for the folder";
    else if (r.code == "TRYCREATE")
        why = "the folder does not exist";
    else if (r.code == "TOOBIG")
        why = "message too big for the server";
    else
        why = "the server refused the message";
    return fmt::format("{}: {}{}", why, r.code.empty() ? "" : fmt::format("[{}] ", r.code), r.text);
}

// Buffers the message into 64 KiB writes and counts it: the literal's size was promised.
class LiteralSink final : public ByteSink {
public:
    explicit LiteralSink(Connection& c) : connection_(c) { buffer_.reserve(kChunk); }
    Result<void> write(std::string_view bytes) override
    {
        written_ += bytes.size();
        if (buffer_.size() + bytes.size() < kChunk) {
            buffer_.append(bytes);
            return {};
        }
        CV_TRY_VOID(flush());
        if (bytes.size() >= kChunk)
            return connection_.write(bytes);
        buffer_.append(bytes);
        return {};
    }
    Result<void> flush()
    {
        if (buffer_.empty())
            return {};
        auto r = connection_.write(buffer_);
        buffer_.clear();
        return r;
    }
    std::uint64_t written() const { return written_; }

private:
    static constexpr std::size_t kChunk = 64 * 1024;
    Connection& connection_;
    std::string buffer_;
    std::uint64_t written_ = 0;
};

}  // namespace

struct Session::Answer {
    Response tagged;
    std::vector<Response> untagged;
    bool ok() const { return tagged.name == "OK"; }
};

std::string imap_date_time(std::int64_t unix_seconds)
{
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:02}-{}-{:04} {:02}:{:02}:{:02} +0000", tm.tm_mday, kMonths[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Result<Session> Session::open(const ConnectSpec& spec)
{
    CV_TRY(auto connection, Connection::open(spec));
    Session s(std::move(connection));
    CV_TRY(auto answer, s.run("CAPABILITY"));
    for (const auto& r : answer.untagged)
        if (r.name == "CAPABILITY")
            s.capabilities_ = parse_capabilities(r.rest);
    if (!answer.ok() || !s.has("IMAP4REV1"))
        return fail(ErrorCode::Unsupported, fmt::format("{} does not speak IMAP4rev1", spec.url));
    return s;
}

std::string Session::next_tag()
{
    return fmt::format("cv{}", ++tag_counter_);
}

Result<Session::Answer> Session::finish(const std::string& tag)
{
    Answer a;
    for (;;) {
        CV_TRY(const std::string unit, connection_.read_unit());
        CV_TRY(auto r, parse_response(unit));
        if (r.kind == Response::Kind::Tagged) {
            if (r.tag != tag)
                return fail(ErrorCode::Parse,
                            fmt::format("the IMAP server answered tag {} while {} was expected", r.tag, tag));
            a.tagged = std::move(r);
            return a;
        }
        if (r.kind == Response::Kind::Untagged && r.name == "BYE")
            return fail(ErrorCode::Unavailable,
                        fmt::format("the IMAP server closed the session: {}", r.text));
        if (r.kind == Response::Kind::Continuation)
            return fail(ErrorCode::Parse, "the IMAP server asked for more where nothing was announced");
        a.untagged.push_back(std::move(r));
    }
}

Result<Session::Answer> Session::run(std::string_view command)
{
    const std::string tag = next_tag();
    CV_TRY_VOID(connection_.write(fmt::format("{} {}\r\n", tag, command)));
    return finish(tag);
}

Result<std::string> Session::ensure_folder(std::string_view utf8_name)
{
    if (!separator_) {
        CV_TRY(auto answer, run("LIST \"\" \"\""));
        for (const auto& r : answer.untagged)
            if (r.name == "LIST") {
                CV_TRY(auto e, parse_list(r.rest));
                separator_ = e.separator.value_or('/');
            }
        if (!separator_)
            separator_ = '/';
    }
    std::string wire;
    std::string_view rest = utf8_name;
    while (true) {
        const auto slash = rest.find('/');
        const std::string_view level = rest.substr(0, slash);
        if (level.empty())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("folder name \"{}\" has an empty level", utf8_name));
        CV_TRY(const std::string encoded, encode_mailbox_name(level));
        if (encoded.find(*separator_) != std::string::npos)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("folder name \"{}\" contains '{}', the server's hierarchy separator",
                                    utf8_name, *separator_));
        if (!wire.empty())
            wire += *separator_;
        wire += encoded;
        if (slash == std::string_view::npos)
            break;
        rest.remove_prefix(slash + 1);
    }
    CV_TRY(const std::string q, quote_string(wire));
    CV_TRY(auto listed, run(fmt::format("LIST \"\" {}", q)));
    for (const auto& r : listed.untagged) {
        if (r.name != "LIST")
            continue;
        CV_TRY(auto e, parse_list(r.rest));
        const bool noselect = std::any_of(e.flags.begin(), e.flags.end(), [](const std::string& f) {
            return f == "\\Noselect" || f == "\\NoSelect" || f == "\\NonExistent";
        });
        if (e.name == wire && !noselect)
            return wire;
    }
    CV_TRY(auto created, run(fmt::format("CREATE {}", q)));
    if (!created.ok() && created.tagged.code != "ALREADYEXISTS")
        return fail(ErrorCode::Refused,
                    fmt::format("the server would not create folder \"{}\": {}{}", utf8_name,
                                created.tagged.code.empty() ? std::string()
                                                            : fmt::format("[{}] ", created.tagged.code),
                                created.tagged.text));
    (void)run(fmt::format("SUBSCRIBE {}", q));  // so that mail clients show it; not required
    return wire;
}

Result<bool> Session::select(std::string_view wire_folder)
{
    CV_TRY(const std::string q, quote_string(wire_folder));
    CV_TRY(auto selected, run(fmt::format("SELECT {}", q)));
    selected_ = selected.ok() ? std::string(wire_folder) : std::string();  // a failed SELECT deselects
    return selected.ok();
}

Result<std::optional<std::uint32_t>> Session::find_message_id(std::string_view wire_folder,
                                                              std::string_view message_id)
{
    if (selected_ != wire_folder) {
        CV_TRY(const std::string q, quote_string(wire_folder));
        CV_TRY(auto examined, run(fmt::format("EXAMINE {}", q)));
        if (!examined.ok())
            return fail(ErrorCode::Refused,
                        fmt::format("cannot open folder {}: {}", wire_folder, examined.tagged.text));
        selected_ = wire_folder;
    }
    CV_TRY(const std::string id, quote_string(fmt::format("<{}>", message_id)));
    CV_TRY(auto found, run(fmt::format("UID SEARCH HEADER Message-ID {}", id)));
    if (!found.ok())
        return fail(ErrorCode::Refused,
                    fmt::format("searching for {} failed: {}", message_id, found.tagged.text));
    for (const auto& r : found.untagged)
        if (r.name == "SEARCH") {
            CV_TRY(auto uids, parse_search(r.rest));
            if (!uids.empty())
                return std::optional<std::uint32_t>(uids.front());
        }
    return std::optional<std::uint32_t>();
}

Result<AppendResult> Session::append(std::string_view wire_folder, std::int64_t internal_date,
                                     std::uint64_t size, const std::function<Result<void>(ByteSink&)>& write)
{
    CV_TRY(const std::string q, quote_string(wire_folder));
    const std::string tag = next_tag();
    const bool non_sync = has("LITERAL+");
    CV_TRY_VOID(connection_.write(fmt::format("{} APPEND {} (\\Seen) \"{}\" {{{}{}}}\r\n", tag, q,
                                              imap_date_time(internal_date), size, non_sync ? "+" : "")));
    if (!non_sync) {
        CV_TRY(const std::string unit, connection_.read_unit());
        CV_TRY(auto r, parse_response(unit));
        if (r.kind == Response::Kind::Tagged) {
            AppendResult out;
            out.refusal = describe_refusal(r);
            out.mailbox_wide = mailbox_wide_code(r.code);
            return out;
        }
        if (r.kind != Response::Kind::Continuation)
            return fail(ErrorCode::Parse, "the IMAP server did not ask for the message");
    }
    LiteralSink sink(connection_);
    CV_TRY_VOID(write(sink));
    CV_TRY_VOID(sink.flush());
    if (sink.written() != size)
        return fail(ErrorCode::Internal,
                    fmt::format("the message was {} bytes, not the {} announced", sink.written(), size));
    CV_TRY_VOID(connection_.write("\r\n"));
    CV_TRY(auto answer, finish(tag));
    AppendResult out;
    if (answer.ok()) {
        out.accepted = true;
        if (answer.tagged.code == "APPENDUID")
            out.uid = appended_uid(answer.tagged.code_args);
        return out;
    }
    out.refusal = describe_refusal(answer.tagged);
    out.mailbox_wide = mailbox_wide_code(answer.tagged.code);
    return out;
}

void Session::logout()
{
    (void)run("LOGOUT");
}

}  // namespace cv::deliver::imap

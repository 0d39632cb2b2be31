#include "sources/chat_export/chat_export.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "sources/chat_export/detail/body.hpp"
#include "sources/chat_export/detail/container.hpp"
#include "sources/chat_export/detail/date_order.hpp"
#include "sources/chat_export/detail/header.hpp"
#include "sources/chat_export/detail/line_reader.hpp"

namespace cv::chat_export {

using namespace detail;

std::string_view to_string(DateOrder o)
{
    switch (o) {
    case DateOrder::DayMonthYear: return "dmy";
    case DateOrder::MonthDayYear: return "mdy";
    case DateOrder::YearMonthDay: return "ymd";
    }
    return "dmy";
}

Result<DateOrder> parse_date_order(std::string_view s)
{
    if (s == "dmy")
        return DateOrder::DayMonthYear;
    if (s == "mdy")
        return DateOrder::MonthDayYear;
    if (s == "ymd")
        return DateOrder::YearMonthDay;
    return fail(ErrorCode::InvalidArgument, fmt::format("date order '{}' is not one of dmy, mdy, ymd", s));
}

std::string_view to_string(Platform p)
{
    switch (p) {
    case Platform::Android: return "android";
    case Platform::Ios: return "ios";
    case Platform::Unknown: return "unknown";
    }
    return "unknown";
}

namespace {

// A message longer than this is cut (with a warning): WhatsApp itself caps a message at
// 65,536 characters, so only a damaged or hostile file gets here, and the cap keeps memory
// bounded.
constexpr std::size_t kMaxMessageBytes = 8u << 20;

FieldOrder field_order(DateOrder o)
{
    switch (o) {
    case DateOrder::DayMonthYear: return FieldOrder::DayMonth;
    case DateOrder::MonthDayYear: return FieldOrder::MonthDay;
    case DateOrder::YearMonthDay: return FieldOrder::YearMonthDay;
    }
    return FieldOrder::DayMonth;
}

// Chat name from an Android export's file name: "WhatsApp Chat with NAME.txt" and the
// translations seen in the corpus (spec §5.2).
std::optional<std::string> chat_name_from_file(std::string_view path)
{
    while (path.ends_with('/'))
        path.remove_suffix(1);
    auto base =
        path.substr(path.find_last_of('/') == std::string_view::npos ? 0 : path.find_last_of('/') + 1);
    if (base.ends_with(".txt") || base.ends_with(".zip"))
        base.remove_suffix(4);
    static constexpr std::string_view kPrefixes[] = {
        "WhatsApp Chat with ",
        "WhatsApp Chat - ",
        "WhatsApp-Chat mit ",
        "WhatsApp-chat met ",
        "Chat de WhatsApp con ",
        "Conversa do WhatsApp com ",
        "Chat WhatsApp con ",
        "Discussion WhatsApp avec ",
        "Chat WhatsApp s\xC2\xA0uživatelem ",
        "Chat WhatsApp s uživatelem ",
        "Чат WhatsApp с\xC2\xA0контактом ",
        "Чат WhatsApp с контактом ",
    };
    for (const auto prefix : kPrefixes)
        if (base.starts_with(prefix) && base.size() > prefix.size())
            return std::string(base.substr(prefix.size()));
    return std::nullopt;
}

// What the first pass learns; a read error there shows again, and is reported, in pass 2.
struct FirstPass {
    std::uint64_t headers[2] = {0, 0};  // by Family
    DateOrderEvidence evidence[2];
    std::uint64_t bytes = 0;  // the whole text: the second pass's progress is measured against it
};

}  // namespace

struct Reader::Impl {
    TimeZone zone;
    std::unique_ptr<Container> container;
    std::filesystem::path path;    // as given, for a second handle (attachment_reader)
    std::uint64_t text_bytes = 0;  // measured by the first pass
    std::string text_name;
    std::string display;  // for warnings: "x.zip:_chat.txt"
    Report report;
    Family family = Family::Dash;
    FieldOrder order = FieldOrder::DayMonth;
    std::unique_ptr<LineReader> lines;
    HeaderParser headers;

    // Two slots: the item being filled and the one last handed out; finishing an item flips a
    // pointer instead of moving strings.
    Item slots[2];
    Item* pending = &slots[0];
    bool have_pending = false;
    bool pending_cut = false;
    std::uint64_t next_index = 0;
    std::uint64_t preamble_lines = 0;
    std::uint64_t other_family_lines = 0;
    bool finished = false;
    std::string scratch;  // a line with invalid UTF-8, repaired

    explicit Impl(TimeZone z) : zone(std::move(z)) {}

    void warn(std::uint64_t line, std::string message)
    {
        if (report.warnings.size() >= Report::kMaxWarnings) {
            ++report.warnings_dropped;
            return;
        }
        report.warnings.push_back(Warning{display, line, std::move(message)});
    }

    static Result<FirstPass> scan(const Container& c, const std::string& name)
    {
        CV_TRY(auto source, c.open_text(name));
        LineReader reader(std::move(source), Utf8Check::No);  // dates only: bytes need no check here
        FirstPass fp;
        HeaderParser headers;
        Line line;
        while (reader.next(line)) {
            if (!may_start_header(line.text))
                continue;
            if (const auto h = headers.parse(line.text)) {
                const auto f = static_cast<int>(h->family);
                ++fp.headers[f];
                fp.evidence[f].add(*h, line.number);
            }
        }
        fp.bytes = reader.bytes_read();
        return fp;
    }

    // Starts a new item from a header line.
    void begin_item(const Header& h, const LocalDateTime& wall, std::string_view line, std::uint64_t number)
    {
        // Keep the author string's buffer across items: clear() would free it.
        std::string author = pending->author ? std::move(*pending->author) : std::string();
        pending->clear();
        pending_cut = false;
        pending->index = next_index++;
        pending->line = number;
        pending->wall_clock = wall;
        pending->wall_clock_text.assign(line.substr(h.stamp_begin, h.stamp_end - h.stamp_begin));
        const auto z = zone.to_utc(wall);
        pending->utc = z.unix_seconds;
        pending->dst = z.resolution;
        if (z.resolution != DstResolution::Unique)
            warn(number,
                 fmt::format("{} {} in {}: {}", format_iso(wall),
                             z.resolution == DstResolution::Gap ? "does not exist (clocks went forward)"
                                                                : "happens twice (clocks went back)",
                             zone.name(),
                             z.resolution == DstResolution::Gap ? "read with the offset before the change"
                                                                : "the earlier instant is taken"));
        const std::string_view body = line.substr(h.body);
        std::size_t text_begin = 0;
        if (const auto author_len = split_author(body, text_begin)) {
            clean_author(body.substr(0, *author_len), author);
            pending->author = std::move(author);
            pending->text.assign(body.substr(text_begin));
        } else {
            pending->text.assign(body);
        }
        have_pending = true;
    }

    void append_line(std::string_view text, std::uint64_t number)
    {
        if (pending_cut)
            return;
        if (pending->text.size() + 1 + text.size() > kMaxMessageBytes) {
            pending_cut = true;
            warn(number, fmt::format("message starting on line {} is longer than {} MiB; the rest is cut",
                                     pending->line, kMaxMessageBytes >> 20));
            return;
        }
        pending->text += '\n';
        pending->text.append(text);
    }

    // Hands out the pending item and makes the other slot the new pending one.
    const Item* finish()
    {
        Item* done = pending;
        pending = done == &slots[0] ? &slots[1] : &slots[0];
        have_pending = false;
        if (classify(*done, *container) == BodyNote::UnreadableAttachmentMarker)
            warn(done->line, "attachment marker cannot be read (damaged, or cut across lines); kept as text");
        return done;
    }

    const Item* next()
    {
        if (finished)
            return nullptr;
        Line line;
        while (lines->next(line)) {
            std::string_view text = line.text;
            if (line.truncated)
                warn(line.number, fmt::format("line is longer than {} MiB; cut there", kMaxLineBytes >> 20));
            // A line of a valid buffer was checked with it; others are checked alone.
            if (const auto bad = line.valid_utf8 ? std::string_view::npos : utf8::first_invalid(text);
                bad != std::string_view::npos) {
                warn(line.number, fmt::format("invalid UTF-8 at byte {}; replaced with U+FFFD", bad + 1));
                scratch = utf8::sanitize(text);
                text = scratch;
            }
            // Initialized from the calls rather than assigned: the results are built in place.
            std::optional<Header> h = may_start_header(text) ? headers.parse(text) : std::nullopt;
            if (h && h->family != family) {
                ++other_family_lines;
                h.reset();
            }
            std::optional<LocalDateTime> wall = h ? resolve(*h, order) : std::nullopt;
            if (h) {
                if (!wall) {
                    // Impossible under the file's order (e.g. "31/13/2020" in a day-first file):
                    // read it the other way round if that makes a date, and say so.
                    const auto other =
                        order == FieldOrder::MonthDay ? FieldOrder::DayMonth : FieldOrder::MonthDay;
                    wall = resolve(*h, other);
                    if (wall)
                        warn(line.number,
                             fmt::format("date is impossible as {}; read as {}", to_string(report.date_order),
                                         other == FieldOrder::MonthDay ? "mdy" : "dmy"));
                    else
                        warn(line.number, "header has an impossible date; kept as message text");
                }
            }
            if (h && wall) {
                if (have_pending) {
                    const Item* done = finish();
                    begin_item(*h, *wall, text, line.number);
                    return done;
                }
                begin_item(*h, *wall, text, line.number);
                continue;
            }
            if (have_pending) {
                append_line(text, line.number);
            } else if (!text.empty()) {
                if (preamble_lines++ == 0)
                    warn(line.number,
                         "text before the first message header is not part of any message; skipped");
            }
        }
        finished = true;
        report.lines = lines->lines_read();
        report.bytes = lines->bytes_read();
        if (const auto& err = lines->error())
            warn(report.lines + 1, fmt::format("reading stopped: {}; the {} item(s) before are kept",
                                               err->describe(), next_index));
        if (other_family_lines > 0)
            warn(0, fmt::format("{} line(s) shaped like {} headers were kept as message text",
                                other_family_lines, family == Family::Dash ? "iOS" : "Android"));
        if (preamble_lines > 1)
            warn(0, fmt::format("{} line(s) before the first header skipped in all", preamble_lines));
        if (have_pending)
            return finish();
        return nullptr;
    }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

const Item* Reader::next()
{
    return impl_->next();
}

bool Reader::next(Item& item)
{
    const Item* next_item = impl_->next();
    if (next_item == nullptr)
        return false;
    item = *next_item;
    return true;
}
const Report& Reader::report() const
{
    return impl_->report;
}

struct AttachmentReader::Impl {
    std::unique_ptr<Container> container;
    std::string display;
};

AttachmentReader::AttachmentReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AttachmentReader::AttachmentReader(AttachmentReader&&) noexcept = default;
AttachmentReader& AttachmentReader::operator=(AttachmentReader&&) noexcept = default;
AttachmentReader::~AttachmentReader() = default;

Result<std::unique_ptr<ByteSource>> AttachmentReader::open(const Attachment& attachment) const
{
    if (!attachment.present || attachment.locator.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("{}: attachment '{}' is not in the export", impl_->display, attachment.name));
    return impl_->container->open_media(attachment.locator);
}

Result<AttachmentReader> Reader::attachment_reader() const
{
    CV_TRY(auto container, Container::open(impl_->path));
    auto impl = std::make_unique<AttachmentReader::Impl>();
    impl->container = std::move(container);
    impl->display = impl_->display;
    return AttachmentReader(std::move(impl));
}

std::uint64_t Reader::text_bytes() const
{
    return impl_->text_bytes;
}

std::uint64_t Reader::bytes_read() const
{
    return impl_->lines ? impl_->lines->bytes_read() : impl_->report.bytes;
}

Result<std::unique_ptr<ByteSource>> Reader::open_attachment(const Attachment& attachment) const
{
    if (!attachment.present || attachment.locator.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("{}: attachment '{}' is not in the export", impl_->display, attachment.name));
    return impl_->container->open_media(attachment.locator);
}

Result<Reader> Reader::open(const std::filesystem::path& path, const Options& options)
{
    CV_TRY(auto zone, TimeZone::locate(options.time_zone));
    CV_TRY(auto container, Container::open(path));
    auto impl = std::make_unique<Impl>(std::move(zone));
    impl->report.source = path.string();
    impl->report.time_zone = options.time_zone;

    // First pass: find the chat text among the candidates and gather every date.
    std::optional<FirstPass> chosen;
    std::optional<Error> first_error;
    for (const auto& name : container->chat_candidates()) {
        auto fp = Impl::scan(*container, name);
        if (!fp) {
            if (!first_error)
                first_error = std::move(fp).error();
            continue;
        }
        if (fp->headers[0] + fp->headers[1] > 0) {
            impl->text_name = name;
            chosen = std::move(*fp);
            break;
        }
    }
    if (!chosen) {
        if (first_error)
            return fail(std::move(*first_error));
        return fail(ErrorCode::Parse,
                    fmt::format("{}: no line starts with a WhatsApp message header (\"date, time - \" or "
                                "\"[date, time] \"): not a chat export",
                                path.string()));
    }
    impl->display = container->describe(impl->text_name);
    impl->path = path;
    impl->text_bytes = chosen->bytes;
    impl->report.chat_file = impl->text_name;
    // iOS names only the zip ("WhatsApp Chat - NAME.zip"); its text is always _chat.txt.
    impl->report.chat_name = chat_name_from_file(impl->text_name);
    if (!impl->report.chat_name)
        impl->report.chat_name = chat_name_from_file(path.string());
    for (const auto& note : container->notes())
        impl->warn(0, note);

    const auto& fp = *chosen;
    impl->family = fp.headers[1] > fp.headers[0] ? Family::Bracket : Family::Dash;
    impl->report.platform = impl->family == Family::Bracket ? Platform::Ios : Platform::Android;
    const auto& evidence = fp.evidence[static_cast<int>(impl->family)];
    if (options.date_order) {
        impl->report.date_order = *options.date_order;
        impl->report.date_order_evidence = "set by --date-order";
    } else {
        const auto decision = evidence.decide();
        impl->report.date_order = decision.order;
        impl->report.date_order_evidence = decision.evidence;
        if (decision.inconsistent)
            impl->warn(0, "dates disagree on the day/month order: " + decision.evidence);
    }
    impl->order = field_order(impl->report.date_order);

    CV_TRY(auto source, container->open_text(impl->text_name));
    impl->lines = std::make_unique<LineReader>(std::move(source));
    impl->container = std::move(container);
    return Reader(std::move(impl));
}

}  // namespace cv::chat_export

#pragma once
/// Reader for WhatsApp "Export chat" output: a .txt file, a .zip (with or without media), or
/// an unpacked folder. Yields cv::Item in file order, streaming: memory stays bounded whatever
/// the size of the export, and attachment bytes are never read.
///
/// Stages: bytes → lines → headers (two passes: the first collects every date to decide the
/// day/month order once per file, the second yields items) → body classification → Item.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"

namespace cv::chat_export {

/// Order of the numeric date fields.
enum class DateOrder { DayMonthYear, MonthDayYear, YearMonthDay };
std::string_view to_string(DateOrder o);  ///< "dmy", "mdy", "ymd"
Result<DateOrder> parse_date_order(std::string_view s);

enum class Platform { Android, Ios, Unknown };
std::string_view to_string(Platform p);  ///< "android", "ios", "unknown"

struct Options {
    std::string time_zone = "UTC";        ///< IANA zone the wall-clock times were written in
    std::optional<DateOrder> date_order;  ///< forces the order instead of inferring it
};

/// Something worth telling the user that did not stop the read.
struct Warning {
    std::string file;        ///< the .txt, zip entry ("chat.zip:_chat.txt") or zip itself
    std::uint64_t line = 0;  ///< 1-based; 0 when the warning is not about one line
    std::string message;
};

/// What the reader learned about the export as a whole.
struct Report {
    std::string source;                    ///< path as given
    std::string chat_file;                 ///< the text file read (zip entry or path)
    std::optional<std::string> chat_name;  ///< from the file name ("WhatsApp Chat with X.txt")
    Platform platform = Platform::Unknown;
    DateOrder date_order = DateOrder::DayMonthYear;
    std::string date_order_evidence;  ///< how the order was decided, in words
    std::string time_zone;
    std::uint64_t lines = 0;
    std::uint64_t bytes = 0;
    std::vector<Warning> warnings;  ///< at most kMaxWarnings; the rest are counted
    std::uint64_t warnings_dropped = 0;
    static constexpr std::size_t kMaxWarnings = 1000;
};

class Reader {
public:
    /// Opens an export and runs the first pass (date evidence). Errors: NotFound (no such
    /// path, or a zip/folder with no chat text), Parse (no line of the file is a WhatsApp
    /// message header: not an export), Unsupported (encrypted zip), LimitExceeded (zip bomb),
    /// InvalidArgument (unknown time zone), Io.
    static Result<Reader> open(const std::filesystem::path& path, const Options& options);

    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) noexcept;
    ~Reader();

    /// The next item, or null at the end. The item belongs to the reader and stays valid until
    /// the next call (no copy on the hot path). A read failure midway (truncated zip) ends the
    /// stream with a warning, so what was read is kept.
    const Item* next();

    /// As next(), copying into `item`; false at the end.
    bool next(Item& item);

    /// Bytes of the chat text read so far (for progress); report().bytes is the total once
    /// next() returned false.
    std::uint64_t bytes_read() const;
    /// Size of the whole chat text (known after open(): the first pass read it).
    std::uint64_t text_bytes() const;

    /// Valid after open(); complete (warnings, line counts) once next() returned false.
    const Report& report() const;

    /// The bytes of an attachment this reader yielded as present (its zip entry or file),
    /// as a stream: attachments are never read whole. Errors: NotFound, Io, Parse (damaged
    /// zip entry), LimitExceeded (an entry that inflates past its declared size or ratio).
    Result<std::unique_ptr<ByteSource>> open_attachment(const Attachment& attachment) const;

    /// A second, independent handle on the export for attachments only (its own zip
    /// handle), for another thread to read attachment bytes while this reader reads on.
    Result<class AttachmentReader> attachment_reader() const;

private:
    struct Impl;
    explicit Reader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Opens attachment bytes like Reader::open_attachment, on a handle of its own.
class AttachmentReader {
public:
    AttachmentReader(AttachmentReader&&) noexcept;
    AttachmentReader& operator=(AttachmentReader&&) noexcept;
    ~AttachmentReader();
    Result<std::unique_ptr<ByteSource>> open(const Attachment& attachment) const;

private:
    friend class Reader;
    struct Impl;
    explicit AttachmentReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Who takes part in an export's chat, from one full read of it: the authors of messages
/// and calls in order of first appearance, the chat's name from the file name, and whether
/// it is a group (more than two people write, or two write and neither is the chat's name).
/// A 1:1 chat in which only the phone's owner wrote gets the chat's name as the other party.
/// Names that are international numbers ("+49 151 …") carry that number as the phone.
/// Errors: as Reader::open.
Result<Conversation> read_conversation(const std::filesystem::path& path, const Options& options);

}  // namespace cv::chat_export

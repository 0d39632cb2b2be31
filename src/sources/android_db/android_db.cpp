#include "sources/android_db/android_db.hpp"

#include <fmt/format.h>

#include "sources/address_book/address_book.hpp"
#include "sources/android_db/detail/reader.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::android_db {

namespace {

bool has(const std::vector<std::string>& tables, std::string_view name)
{
    for (const auto& t : tables)
        if (t == name)
            return true;
    return false;
}

// "msgstore.db.crypt15" and friends: WhatsApp's encrypted backups.
bool is_crypt_name(const std::filesystem::path& p)
{
    const std::string ext = p.extension().string();
    return ext.starts_with(".crypt");
}

Result<sqlite::Snapshot> snapshot(const std::filesystem::path& path, std::string_view what)
{
    auto snap = sqlite::Snapshot::open(path);
    if (snap)
        return snap;
    Error e = std::move(snap).error();
    if (e.code() == ErrorCode::Parse && (is_crypt_name(path) || what == "msgstore.db"))
        return fail(Error(ErrorCode::Unsupported,
                          fmt::format("{} is not a readable SQLite database: an encrypted WhatsApp backup "
                                      "(.crypt12/.crypt14/.crypt15) must be decrypted first ({})",
                                      path.string(), e.message())));
    return fail(std::move(e).with_context(fmt::format("opening {} {}", what, path.string())));
}

}  // namespace

std::string_view to_string(Schema s)
{
    return s == Schema::Modern ? "modern" : "legacy";
}

std::optional<Schema> classify_tables(const std::vector<std::string>& tables)
{
    if (has(tables, "message") && (has(tables, "chat") || has(tables, "jid")))
        return Schema::Modern;
    if (has(tables, "messages"))
        return Schema::Legacy;
    return std::nullopt;
}

Result<Schema> detect_schema(const std::filesystem::path& msgstore)
{
    CV_TRY(auto snap, snapshot(msgstore, "msgstore.db"));
    return detail::choose_schema(snap);
}

Result<std::unique_ptr<ChatSource>> open_android_db(const std::filesystem::path& msgstore,
                                                    const Options& options)
{
    CV_TRY(auto snap, snapshot(msgstore, "msgstore.db"));
    std::optional<address_book::AddressBook> contacts;
    if (options.contacts) {
        auto c = address_book::read(*options.contacts);
        if (!c)
            return fail(std::move(c).error().with_context(
                fmt::format("opening wa.db {}", options.contacts->string())));
        if (c->platform != address_book::Platform::Android)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{} is an iOS ContactsV2.sqlite, not an Android wa.db",
                                    options.contacts->string()));
        contacts = std::move(*c);
    }
    auto source = detail::make_source(std::move(snap), std::move(contacts), options);
    if (!source)
        return fail(std::move(source).error().with_context(fmt::format("reading {}", msgstore.string())));
    return source;
}

}  // namespace cv::android_db

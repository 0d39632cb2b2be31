#include "sources/address_book/address_book.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::address_book {

namespace {

// Core Data stores dates as seconds since 2001-01-01 UTC.
constexpr std::int64_t kCoreDataEpoch = 978307200;

bool all_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The columns a table has; a SELECT item is the column or NULL, and the missing ones are named
// in one warning, so an older or newer WhatsApp build lists what it can.
class Columns {
public:
    static Result<Columns> read(sqlite::Snapshot& db, std::string table)
    {
        CV_TRY(auto names, db.columns(table));
        Columns c;
        c.table_ = std::move(table);
        c.names_.insert(names.begin(), names.end());
        return c;
    }
    bool has(const std::string& column) const { return names_.contains(column); }
    std::string select(const std::string& column)
    {
        if (has(column))
            return '"' + column + '"';
        missing_.push_back(column);
        return "NULL";
    }
    void warn(std::vector<std::string>& warnings) const
    {
        if (!missing_.empty())
            warnings.push_back(fmt::format("table {}: column(s) {} missing, read as empty", table_,
                                           fmt::join(missing_, ", ")));
    }

private:
    std::string table_;
    std::set<std::string> names_;
    std::vector<std::string> missing_;
};

std::optional<std::string> text(const sqlite::Statement& st, int i)
{
    if (st.column_is_null(i))
        return std::nullopt;
    std::string s = utf8::sanitize(st.column_text(i));
    if (s.empty())
        return std::nullopt;
    return s;
}

void fill(std::optional<std::string>& field, std::optional<std::string> value)
{
    if (!field)
        field = std::move(value);
}

Result<AddressBook> read_android(sqlite::Snapshot& db)
{
    AddressBook book;
    book.platform = Platform::Android;
    CV_TRY(auto c, Columns::read(db, "wa_contacts"));
    const std::string sql =
        fmt::format("SELECT {}, {}, {}, {}, {}, {}, {}, {}, {} FROM wa_contacts ORDER BY {}", c.select("jid"),
                    c.select("display_name"), c.select("given_name"), c.select("wa_name"), c.select("number"),
                    c.select("phone_label"), c.select("status"), c.select("status_timestamp"),
                    c.select("raw_contact_id"), c.has("_id") ? "\"_id\"" : "rowid");
    c.warn(book.warnings);
    CV_TRY(auto st, db.db().prepare(sql));
    std::unordered_map<std::string, std::size_t> by_jid;
    CV_TRY_VOID(sqlite::for_each_row(st, [&] {
        auto jid = text(st, 0);
        if (!jid)
            return;
        auto [it, added] = by_jid.try_emplace(*jid, book.entries.size());
        if (added) {
            book.entries.emplace_back();
            book.entries.back().jid = jid;
            book.entries.back().phone = phone_of_jid(*jid);
        }
        Entry& e = book.entries[it->second];
        auto name = text(st, 1);
        fill(e.name, name ? std::move(name) : text(st, 2));
        fill(e.wa_name, text(st, 3));
        fill(e.number_as_written, text(st, 4));
        if (e.phone)  // a group's row keeps its creation time in phone_label
            fill(e.label, text(st, 5));
        if (!e.about) {
            e.about = text(st, 6);
            // status_timestamp is in milliseconds; 0 means "never set".
            if (e.about && !st.column_is_null(7) && st.column_int(7) > 0)
                e.about_utc = st.column_int(7) / 1000;
        }
        fill(e.contact_id, text(st, 8));
    }));
    return book;
}

// "_$!<Mobile>!$_" is how the Contacts framework stores its built-in labels.
std::optional<std::string> ios_label(std::optional<std::string> label)
{
    if (label && label->starts_with("_$!<") && label->ends_with(">!$_") && label->size() > 8)
        return label->substr(4, label->size() - 8);
    return label;
}

Result<AddressBook> read_ios(sqlite::Snapshot& db)
{
    AddressBook book;
    book.platform = Platform::Ios;
    CV_TRY(auto c, Columns::read(db, "ZWAADDRESSBOOKCONTACT"));
    const std::string sql =
        fmt::format("SELECT {}, {}, {}, {}, {}, {}, {}, {} FROM ZWAADDRESSBOOKCONTACT ORDER BY {}",
                    c.select("ZWHATSAPPID"), c.select("ZFULLNAME"), c.select("ZGIVENNAME"),
                    c.select("ZPHONENUMBER"), c.select("ZPHONENUMBERLABEL"), c.select("ZABOUTTEXT"),
                    c.select("ZABOUTTIMESTAMP"), c.select("ZIDENTIFIER"), c.has("Z_PK") ? "Z_PK" : "rowid");
    c.warn(book.warnings);
    CV_TRY(auto st, db.db().prepare(sql));
    CV_TRY_VOID(sqlite::for_each_row(st, [&] {
        Entry e;
        e.jid = text(st, 0);
        if (e.jid)
            e.phone = phone_of_jid(*e.jid);
        e.name = text(st, 1);
        if (!e.name)
            e.name = text(st, 2);
        e.number_as_written = text(st, 3);
        if (!e.phone && e.number_as_written && e.number_as_written->starts_with('+')) {
            // A non-user's number is only trusted when written in international form.
            std::string digits;
            for (const char ch : *e.number_as_written)
                if (ch >= '0' && ch <= '9')
                    digits += ch;
            if (!digits.empty())
                e.phone = "+" + digits;
        }
        e.label = ios_label(text(st, 4));
        e.about = text(st, 5);
        if (e.about && !st.column_is_null(6))
            e.about_utc = st.column_int(6) + kCoreDataEpoch;
        e.contact_id = text(st, 7);
        book.entries.push_back(std::move(e));
    }));
    return book;
}

}  // namespace

std::optional<std::string> phone_of_jid(std::string_view jid)
{
    const auto at = jid.find('@');
    const std::string_view user = jid.substr(0, at);
    const std::string_view server = at == std::string_view::npos ? std::string_view() : jid.substr(at + 1);
    // A device suffix ("4915…:12@s.whatsapp.net") names the same person.
    const std::string_view number = user.substr(0, user.find(':'));
    // Not held to E.164's 15 digits: the user part is the number WhatsApp registered, and a
    // hand-saved "5502163674092549" contact is still that account.
    if (!all_digits(number) || number.size() < 3 || number.size() > 20)
        return std::nullopt;
    if (at != std::string_view::npos && server != "s.whatsapp.net" && server != "c.us")
        return std::nullopt;
    return "+" + std::string(number);
}

Result<AddressBook> read(const std::filesystem::path& path)
{
    if (std::error_code ec; !std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::NotFound, fmt::format("{} is not a file", path.string()));
    if (!sqlite::is_sqlite_file(path))
        return fail(ErrorCode::Parse, fmt::format("{} is not an SQLite database (an encrypted backup must be "
                                                  "decrypted first)",
                                                  path.string()));
    CV_TRY(auto snapshot, sqlite::Snapshot::open(path));
    CV_TRY(const auto tables, snapshot.tables());
    const auto has = [&](std::string_view t) {
        return std::find(tables.begin(), tables.end(), t) != tables.end();
    };
    if (has("wa_contacts"))
        return read_android(snapshot);
    if (has("ZWAADDRESSBOOKCONTACT"))
        return read_ios(snapshot);
    return fail(ErrorCode::InvalidArgument,
                fmt::format("{} is neither a WhatsApp wa.db (table wa_contacts) nor a ContactsV2.sqlite "
                            "(table ZWAADDRESSBOOKCONTACT)",
                            path.string()));
}

}  // namespace cv::address_book

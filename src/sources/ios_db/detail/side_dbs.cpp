#include "sources/ios_db/detail/side_dbs.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "sources/address_book/address_book.hpp"
#include "sources/ios_db/detail/clock.hpp"
#include "sources/ios_db/detail/jid.hpp"
#include "sources/ios_db/detail/schema.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::ios_db::detail {

Result<std::map<std::string, std::string>> read_contacts(const std::filesystem::path& path,
                                                         std::vector<std::string>& warnings)
{
    CV_TRY(auto book, address_book::read(path));
    if (book.platform != address_book::Platform::Ios)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} is an Android wa.db, not an iOS ContactsV2.sqlite", path.string()));
    for (auto& w : book.warnings)
        warnings.push_back("ContactsV2: " + w);
    std::map<std::string, std::string> names;
    for (auto& e : book.entries) {
        // A non-user row has no WhatsApp id; its number (only when written internationally)
        // still names a phone that may write in a group.
        std::optional<Jid> jid = e.jid ? parse_jid(*e.jid) : std::nullopt;
        if (!jid && e.phone)
            jid = parse_jid(e.phone->substr(1));
        if (!jid || (jid->kind != JidKind::Phone && jid->kind != JidKind::Lid) || !e.name)
            continue;
        names.emplace(person_key(*jid), std::move(*e.name));  // the first row for a number wins
    }
    return names;
}

Result<std::vector<CallRecord>> read_call_history(const std::filesystem::path& path,
                                                  std::vector<std::string>& warnings)
{
    CV_TRY(auto snapshot, sqlite::Snapshot::open(path));
    CV_TRY(auto e, TableColumns::read(snapshot, "ZWACDCALLEVENT"));
    if (!e.exists() || !e.has("Z_PK"))
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("{} has no ZWACDCALLEVENT table: not a WhatsApp CallHistory.sqlite", path.string()));
    CV_TRY(auto a, TableColumns::read(snapshot, "ZWAAGGREGATECALLEVENT"));
    CV_TRY(auto p, TableColumns::read(snapshot, "ZWACDCALLEVENTPARTICIPANT"));

    std::string join;
    std::string incoming = "NULL", missed = "NULL", video = "NULL";
    if (a.exists() && e.has("Z1CALLEVENTS") && a.has("Z_PK")) {
        join = "LEFT JOIN ZWAAGGREGATECALLEVENT a ON a.Z_PK = e.Z1CALLEVENTS";
        incoming = a.select("a", "ZINCOMING");
        missed = a.select("a", "ZMISSED");
        video = a.select("a", "ZVIDEO");
    } else {
        warnings.emplace_back("CallHistory: no ZWAAGGREGATECALLEVENT link: call direction from the caller, "
                              "calls read as voice");
    }
    const std::string sql = fmt::format(
        "SELECT e.Z_PK, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM ZWACDCALLEVENT e {} ORDER BY {}, e.Z_PK",
        e.select("e", "ZDATE"), e.select("e", "ZDURATION"), e.select("e", "ZOUTCOME"),
        e.select("e", "ZGROUPCALLCREATORUSERJIDSTRING"), e.select("e", "ZGROUPJIDSTRING"),
        e.select("e", "ZCALLIDSTRING"), incoming, missed, video, join, e.has("ZDATE") ? "e.ZDATE" : "e.Z_PK");
    for (const auto* t : {&e, &a})
        if (auto w = t->warning(); !w.empty())
            warnings.push_back(std::move(w));
    CV_TRY(auto st, snapshot.db().prepare(sql));
    std::vector<CallRecord> calls;
    std::size_t undated = 0;
    CV_TRY_VOID(sqlite::for_each_row(st, [&] {
        CallRecord c;
        c.row = st.column_int(0);
        c.date_text = std::string(st.column_text(1));
        const auto utc = unix_from_core_data(c.date_text);
        if (!utc) {
            ++undated;
            return;
        }
        c.utc = *utc;
        if (const auto d = parse_number(st.column_text(2)); d && *d >= 0 && *d < 4294967295.0)
            c.duration_seconds = static_cast<std::uint32_t>(std::lround(*d));
        if (!st.column_is_null(3))
            c.outcome = st.column_int(3);
        c.caller_jid = utf8::sanitize(st.column_text(4));
        c.group_jid = utf8::sanitize(st.column_text(5));
        if (const auto id = st.column_text(6); !id.empty())
            c.call_id = utf8::sanitize(id);
        if (!st.column_is_null(7))
            c.incoming = st.column_int(7) != 0;
        const bool missed_flag = !st.column_is_null(8) && st.column_int(8) != 0;
        c.media = !st.column_is_null(9) && st.column_int(9) != 0 ? CallMedia::Video : CallMedia::Voice;
        // §C.9: outcome codes differ between sources; a duration is the surest sign.
        if (c.duration_seconds && *c.duration_seconds > 0)
            c.result = CallResult::Answered;
        else if (missed_flag || c.outcome == 1 || c.outcome == 4)
            c.result = CallResult::Missed;
        calls.push_back(std::move(c));
    }));
    if (undated > 0)
        warnings.push_back(fmt::format("CallHistory: {} call(s) without a date skipped", undated));

    if (p.exists() && p.has("Z1PARTICIPANTS") && p.has("ZJIDSTRING")) {
        CV_TRY(auto ps,
               snapshot.db().prepare("SELECT Z1PARTICIPANTS, ZJIDSTRING FROM ZWACDCALLEVENTPARTICIPANT "
                                     "ORDER BY Z1PARTICIPANTS, Z_PK"));
        std::map<std::int64_t, std::vector<std::string>> by_call;
        CV_TRY_VOID(sqlite::for_each_row(ps, [&] {
            if (const auto jid = ps.column_text(1); !jid.empty())
                by_call[ps.column_int(0)].push_back(utf8::sanitize(jid));
        }));
        for (auto& c : calls)
            if (auto it = by_call.find(c.row); it != by_call.end())
                c.participants = std::move(it->second);
    } else {
        warnings.emplace_back("CallHistory: table ZWACDCALLEVENTPARTICIPANT missing or without "
                              "Z1PARTICIPANTS/ZJIDSTRING: call participants unknown");
    }
    return calls;
}

}  // namespace cv::ios_db::detail

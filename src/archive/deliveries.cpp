// Delivery state, settings and sealed secrets: the part of the archive a delivery run reads
// and writes. Placements are the work list; `deliveries` holds what happened to each.

#include <ctime>

#include "archive/detail/archive_impl.hpp"

namespace cv::archive {

using namespace sqlite;

namespace {

// Columns of a Delivery, in the order read_delivery() expects.
constexpr std::string_view kDeliveryColumns =
    "p.item, m.address, i.message_id, i.utc, i.render_size, coalesce(d.state, 0), coalesce(d.attempts, 0), "
    "coalesce(d.next_at, 0), coalesce(d.reason, ''), d.uid, coalesce(d.updated, 0)";

constexpr std::string_view kDeliveryJoins =
    "FROM placements p JOIN folders f ON f.id = p.folder JOIN mailboxes m ON m.id = f.mailbox "
    "JOIN items i ON i.id = p.item LEFT JOIN deliveries d ON d.folder = p.folder AND d.item = p.item";

Delivery read_delivery(const Statement& st)
{
    Delivery d;
    d.item = st.column_int(0);
    d.mailbox = st.column_text(1);
    d.message_id = st.column_text(2);
    d.utc = st.column_int(3);
    d.size = static_cast<std::uint64_t>(st.column_int(4));
    d.state = static_cast<DeliveryState>(st.column_int(5));
    d.attempts = static_cast<std::uint32_t>(st.column_int(6));
    d.next_attempt = st.column_int(7);
    d.reason = st.column_text(8);
    if (!st.column_is_null(9))
        d.uid = static_cast<std::uint32_t>(st.column_int(9));
    d.updated = st.column_int(10);
    return d;
}

std::string secret_context(std::string_view name)
{
    return fmt::format("chatvault secret {}", name);
}

}  // namespace

std::string_view to_string(DeliveryState state)
{
    switch (state) {
    case DeliveryState::Pending: return "pending";
    case DeliveryState::Sending: return "sending";
    case DeliveryState::Delivered: return "delivered";
    case DeliveryState::Failed: return "failed";
    }
    return "pending";
}

std::optional<DeliveryState> delivery_state_from_string(std::string_view name)
{
    for (const auto s :
         {DeliveryState::Pending, DeliveryState::Sending, DeliveryState::Delivered, DeliveryState::Failed})
        if (to_string(s) == name)
            return s;
    return std::nullopt;
}

Result<std::vector<std::string>> Archive::delivery_mailboxes(std::int64_t now, bool include_failed)
{
    CV_TRY(auto st,
           impl_->db.prepare(fmt::format(
               "SELECT DISTINCT m.address FROM placements p JOIN folders f ON f.id = p.folder "
               "JOIN mailboxes m ON m.id = f.mailbox LEFT JOIN deliveries d ON d.folder = p.folder "
               "AND d.item = p.item WHERE d.state IS NULL OR (d.state IN (0, 1) AND d.next_at <= ?1) {} "
               "ORDER BY m.address",
               include_failed ? "OR d.state = 3" : "")));
    st.bind(1, now);
    std::vector<std::string> out;
    CV_TRY_VOID(for_each_row(st, [&] { out.emplace_back(st.column_text(0)); }));
    return out;
}

Result<std::vector<Delivery>> Archive::due_deliveries(std::string_view mailbox, std::int64_t now,
                                                      bool include_failed, std::int64_t after_item,
                                                      std::size_t limit)
{
    CV_TRY(auto f, impl_->db.prepare("SELECT f.id FROM folders f JOIN mailboxes m ON m.id = f.mailbox "
                                     "WHERE m.address = ?1 AND f.name = ?2"));
    f.bind(1, mailbox).bind(2, kFolder);
    CV_TRY(const bool found, f.step());
    if (!found)
        return fail(ErrorCode::NotFound, fmt::format("no mailbox {} in the archive", mailbox));
    CV_TRY(auto st,
           impl_->db.prepare(fmt::format(
               "SELECT {} {} WHERE p.folder = ?1 AND p.item > ?4 AND (d.state IS NULL OR (d.state IN "
               "(0, 1) AND d.next_at <= ?2) {}) ORDER BY p.item LIMIT ?3",
               kDeliveryColumns, kDeliveryJoins, include_failed ? "OR d.state = 3" : "")));
    st.bind(1, f.column_int(0)).bind(2, now).bind(3, static_cast<std::int64_t>(limit)).bind(4, after_item);
    std::vector<Delivery> out;
    CV_TRY_VOID(for_each_row(st, [&] { out.push_back(read_delivery(st)); }));
    return out;
}

Result<void> Archive::record_deliveries(std::span<const DeliveryUpdate> updates)
{
    if (updates.empty())
        return {};
    CV_TRY(auto tx, Transaction::begin(impl_->db));
    CV_TRY(auto check, impl_->db.prepare("SELECT 1 FROM placements WHERE folder = ?1 AND item = ?2"));
    CV_TRY(auto up,
           impl_->db.prepare(
               "INSERT INTO deliveries(folder, item, state, attempts, next_at, reason, uid, updated) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(folder, item) DO UPDATE SET "
               "state = ?3, attempts = attempts + ?4, next_at = ?5, reason = ?6, "
               "uid = coalesce(?7, uid), updated = ?8"));
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    for (const auto& u : updates) {
        CV_TRY(const std::int64_t folder, impl_->folder_for(u.mailbox));
        check.bind(1, folder).bind(2, u.item);
        CV_TRY(const bool placed, check.step());
        check.reset();
        if (!placed)
            return fail(ErrorCode::NotFound, fmt::format("item {} is not in mailbox {}", u.item, u.mailbox));
        up.bind(1, folder).bind(2, u.item).bind(3, static_cast<std::int64_t>(u.state));
        up.bind(4, u.attempted ? 1 : 0).bind(5, u.next_attempt).bind(6, u.reason);
        if (u.uid)
            up.bind(7, static_cast<std::int64_t>(*u.uid));
        else
            up.bind_null(7);
        up.bind(8, now);
        CV_TRY_VOID(up.run());
        up.reset();
    }
    return tx.commit();
}

Result<std::uint64_t> Archive::defer_deliveries(std::string_view mailbox, std::int64_t now,
                                                bool include_failed, std::int64_t next_attempt,
                                                std::string_view reason)
{
    CV_TRY(const std::int64_t folder, impl_->folder_for(std::string(mailbox)));
    const std::int64_t stamp = static_cast<std::int64_t>(std::time(nullptr));
    CV_TRY(auto tx, Transaction::begin(impl_->db));
    // Those tried before and due now: one more attempt. A "sending" one keeps its state: its
    // message may be on the server already and must be looked for before it is sent again.
    CV_TRY(auto due, impl_->db.prepare(fmt::format(
                         "UPDATE deliveries SET state = CASE state WHEN 1 THEN 1 ELSE 0 END, attempts = "
                         "attempts + 1, next_at = ?2, reason = ?3, "
                         "updated = ?4 WHERE folder = ?1 AND ((state IN (0, 1) AND next_at <= ?5) {})",
                         include_failed ? "OR state = 3" : "")));
    due.bind(1, folder).bind(2, next_attempt).bind(3, reason).bind(4, stamp).bind(5, now);
    CV_TRY_VOID(due.run());
    std::uint64_t n = static_cast<std::uint64_t>(impl_->db.changes());
    // Placements never tried have no row yet: one each. Inserted after the update, not before:
    // with `now` past their next attempt (deliver --ignore-backoff) the update would match the
    // new rows too, counting each twice (pending 26 of 13 items) with two attempts.
    CV_TRY(auto fresh,
           impl_->db.prepare(
               "INSERT INTO deliveries(folder, item, state, attempts, next_at, reason, uid, updated) "
               "SELECT p.folder, p.item, 0, 1, ?2, ?3, NULL, ?4 FROM placements p WHERE p.folder = ?1 "
               "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.folder = p.folder AND d.item = p.item)"));
    fresh.bind(1, folder).bind(2, next_attempt).bind(3, reason).bind(4, stamp);
    CV_TRY_VOID(fresh.run());
    n += static_cast<std::uint64_t>(impl_->db.changes());
    CV_TRY_VOID(tx.commit());
    return n;
}

Result<std::map<std::string, DeliveryCounts>> Archive::delivery_counts()
{
    CV_TRY(auto st,
           impl_->db.prepare("SELECT m.address, coalesce(d.state, 0), count(*) FROM placements p "
                             "JOIN folders f ON f.id = p.folder JOIN mailboxes m ON m.id = f.mailbox "
                             "LEFT JOIN deliveries d ON d.folder = p.folder AND d.item = p.item "
                             "GROUP BY 1, 2"));
    std::map<std::string, DeliveryCounts> out;
    CV_TRY_VOID(for_each_row(st, [&] {
        auto& c = out[std::string(st.column_text(0))];
        const auto n = static_cast<std::uint64_t>(st.column_int(2));
        switch (static_cast<DeliveryState>(st.column_int(1))) {
        case DeliveryState::Delivered: c.delivered += n; break;
        case DeliveryState::Failed: c.failed += n; break;
        default: c.pending += n;
        }
    }));
    return out;
}

Result<std::vector<Delivery>> Archive::deliveries(const DeliveryQuery& query)
{
    std::string where = "WHERE 1";
    if (query.state)
        where += *query.state == DeliveryState::Pending ? " AND coalesce(d.state, 0) IN (0, 1)"
                                                        : " AND d.state = ?2";
    if (!query.mailbox.empty())
        where += " AND m.address = ?1";
    CV_TRY(auto st, impl_->db.prepare(fmt::format("SELECT {} {} {} ORDER BY m.address, p.item LIMIT ?3",
                                                  kDeliveryColumns, kDeliveryJoins, where)));
    if (!query.mailbox.empty())
        st.bind(1, query.mailbox);
    if (query.state && *query.state != DeliveryState::Pending)
        st.bind(2, static_cast<std::int64_t>(*query.state));
    st.bind(3, static_cast<std::int64_t>(query.limit));
    std::vector<Delivery> out;
    CV_TRY_VOID(for_each_row(st, [&] { out.push_back(read_delivery(st)); }));
    return out;
}

Result<void> Archive::put_setting(std::string_view name, std::string_view value)
{
    return impl_->set_meta(fmt::format("setting.{}", name), value);
}

Result<std::optional<std::string>> Archive::setting(std::string_view name)
{
    CV_TRY(auto st, impl_->db.prepare("SELECT value FROM meta WHERE key = ?1"));
    st.bind(1, fmt::format("setting.{}", name));
    CV_TRY(const bool row, st.step());
    if (!row)
        return std::optional<std::string>();
    return std::optional<std::string>(std::string(st.column_text(0)));
}

Result<void> Archive::put_secret(std::string_view name, std::string_view value)
{
    if (value.empty()) {
        CV_TRY(auto del, impl_->db.prepare("DELETE FROM secrets WHERE name = ?1"));
        del.bind(1, name);
        return del.run();
    }
    const auto sealed = impl_->key.seal(
        std::span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()), secret_context(name));
    CV_TRY(auto st, impl_->db.prepare("INSERT OR REPLACE INTO secrets(name, sealed) VALUES(?1, ?2)"));
    st.bind(1, name).bind_blob(2, sealed);
    return st.run();
}

Result<std::optional<std::string>> Archive::secret(std::string_view name)
{
    CV_TRY(auto st, impl_->db.prepare("SELECT sealed FROM secrets WHERE name = ?1"));
    st.bind(1, name);
    CV_TRY(const bool row, st.step());
    if (!row)
        return std::optional<std::string>();
    const auto blob = st.column_blob(0);
    auto plain = impl_->key.open(blob, secret_context(name));
    if (!plain)
        return fail(std::move(plain).error().with_context(fmt::format("opening secret {}", name)));
    return std::optional<std::string>(std::string(plain->begin(), plain->end()));
}

}  // namespace cv::archive

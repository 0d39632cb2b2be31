#pragma once
// A real archive in a temporary folder for governance tests, with items committed straight
// through the Archive API (no renderer): each item's index subject is known to the test, so the
// subject callback a disposition needs returns exactly what was indexed.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "core/byte_source.hpp"
#include "core/digest.hpp"
#include "support/temp_dir.hpp"

namespace cv::test {

/// What a test commits for one item.
struct ItemSpec {
    std::string message_id;
    ItemKind kind = ItemKind::Message;
    std::int64_t utc = 0;
    std::string text;
    std::vector<std::string> mailboxes;
    std::vector<std::string> blobs;  ///< attachment contents (stored with put_blob first)
};

class GovernanceArchive {
public:
    GovernanceArchive()
    {
        EXPECT_TRUE(archive::Archive::create(dir_.path()));
        open();
    }

    void open()
    {
        archive_.reset();
        auto opened = archive::Archive::open(dir_.path());
        EXPECT_TRUE(opened) << opened.error().describe();
        if (opened)
            archive_.emplace(std::move(*opened));
        auto source = archive_->add_source("test", "/tmp/governance-test");
        EXPECT_TRUE(source);
        source_ = source ? *source : 0;
    }
    void close() { archive_.reset(); }

    archive::Archive& operator*() { return *archive_; }
    archive::Archive* operator->() { return &*archive_; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    /// The subject indexed for an item: made from its Message-ID.
    static std::string subject_of(std::string_view message_id) { return "Chat " + std::string(message_id); }

    /// The subject callback dispose() needs.
    archive::Archive::IndexedSubject subject() const
    {
        return [](const archive::StoredItem& s) -> Result<std::string> { return subject_of(s.message_id); };
    }

    /// The rerender verify() needs: the stored hash (these items have no renderer input).
    static Result<Sha256Digest> rerender(const archive::StoredItem& s) { return s.render_sha256; }

    /// A NewItem for `spec`; its attachments' blobs must be stored already (blob()).
    archive::NewItem new_item(const ItemSpec& spec)
    {
        if (!conversation_) {
            Conversation c;
            c.title = "Governance";
            auto id = archive_->put_conversation(c);
            EXPECT_TRUE(id) << id.error().describe();
            conversation_ = id ? *id : 0;
        }
        archive::NewItem n;
        n.message_id = spec.message_id;
        n.conversation = *conversation_;
        n.item.kind = spec.kind;
        n.item.author = "Ana";
        n.item.utc = spec.utc;
        n.item.text = spec.text;
        n.item.line = ++line_;
        int a = 0;
        for (const std::string& bytes : spec.blobs) {
            Attachment att;
            att.name = "file" + std::to_string(++a) + ".bin";
            att.present = true;
            att.size = bytes.size();
            att.locator = "blob:" + to_hex(sha256(bytes));
            n.item.attachments.push_back(std::move(att));
        }
        n.render_sha256 = sha256(spec.message_id + "|" + spec.text);
        n.render_size = 100 + spec.text.size();
        n.mailboxes = spec.mailboxes;
        if (spec.mailboxes.empty())
            n.quarantine_reason = "no mailbox";
        n.index_sender = "Ana";
        n.index_subject = subject_of(spec.message_id);
        return n;
    }

    /// Stores an attachment's bytes for the next commit.
    void blob(const std::string& bytes)
    {
        StringSource rest(bytes);
        auto ref = archive_->put_blob("", rest);
        ASSERT_TRUE(ref) << ref.error().describe();
        EXPECT_EQ(ref->sha256, sha256(bytes));
    }

    /// Commits items (their blobs stored first).
    archive::CommitReport commit(const std::vector<ItemSpec>& specs)
    {
        std::vector<archive::NewItem> items;
        for (const auto& s : specs) {
            for (const auto& b : s.blobs)
                blob(b);
            items.push_back(new_item(s));
        }
        auto report = archive_->commit(source_, items);
        EXPECT_TRUE(report) << report.error().describe();
        return report ? *report : archive::CommitReport{};
    }

    /// The bytes of a stored blob, or nullopt when it is not stored.
    std::optional<std::string> read_blob(const std::string& bytes)
    {
        auto stream = archive_->open_blob(sha256(bytes));
        if (!stream)
            return std::nullopt;
        std::string out;
        std::vector<char> buf(8192);
        for (;;) {
            auto n = (*stream)->read(buf);
            if (!n)
                return std::nullopt;
            if (*n == 0)
                break;
            out.append(buf.data(), *n);
        }
        return out;
    }

    /// verify()'s findings, one line each.
    std::vector<std::string> findings()
    {
        auto report = archive_->verify(&GovernanceArchive::rerender);
        EXPECT_TRUE(report) << report.error().describe();
        std::vector<std::string> out;
        if (report)
            for (const auto& f : report->findings)
                out.push_back(f.message_id + ": " + f.problem);
        return out;
    }

private:
    TempDir dir_;
    std::optional<archive::Archive> archive_;
    std::int64_t source_ = 0;
    std::optional<std::int64_t> conversation_;
    std::uint64_t line_ = 0;
};

}  // namespace cv::test

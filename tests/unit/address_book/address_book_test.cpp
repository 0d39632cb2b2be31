// The address book on small wa.db / ContactsV2.sqlite files built here: rows of one JID
// merged, groups without labels, Apple's label wrapping, the 2001 epoch, columns an older build
// lacks, and the errors for files that are not an address book. Originals stay untouched.

#include "sources/address_book/address_book.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sqlite/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace cv::address_book {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::TempDir;

void exec(const fs::path& db, const std::string& sql)
{
    auto d = sqlite::Database::open(db.string(), true);
    ASSERT_TRUE(d) << d.error().describe();
    auto r = d->exec(sql);
    ASSERT_TRUE(r) << r.error().describe();
}

const Entry* find(const AddressBook& book, std::string_view jid)
{
    for (const auto& e : book.entries)
        if (e.jid == jid)
            return &e;
    return nullptr;
}

TEST(AddressBook, PhoneOfJid)
{
    EXPECT_EQ(phone_of_jid("4915112345678@s.whatsapp.net"), "+4915112345678");
    EXPECT_EQ(phone_of_jid("4915112345678:12@s.whatsapp.net"), "+4915112345678");  // a device
    EXPECT_EQ(phone_of_jid("4915112345678@c.us"), "+4915112345678");
    EXPECT_EQ(phone_of_jid("436604444333"), "+436604444333");  // hand-made legacy rows
    EXPECT_EQ(phone_of_jid("49151-1600000000@g.us"), std::nullopt);
    EXPECT_EQ(phone_of_jid("123456789012345@lid"), std::nullopt);
    EXPECT_EQ(phone_of_jid("status@broadcast"), std::nullopt);
    EXPECT_EQ(phone_of_jid(""), std::nullopt);
    EXPECT_EQ(phone_of_jid("12@s.whatsapp.net"), std::nullopt);
}

TEST(AddressBook, AndroidRowsOfOneJidMergeAndTheOriginalIsUntouched)
{
    TempDir dir;
    const auto db = dir.path() / "wa.db";
    exec(db, R"(
CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL, is_whatsapp_user BOOLEAN NOT NULL,
  status TEXT, status_timestamp INTEGER, number TEXT, raw_contact_id INTEGER, display_name TEXT, phone_type INTEGER,
  phone_label TEXT, given_name TEXT, wa_name TEXT);
INSERT INTO wa_contacts VALUES (1, '4915112345678@s.whatsapp.net', 1, NULL, 0, '0151 12345678', 7, '', 2, NULL, NULL, 'anna');
INSERT INTO wa_contacts VALUES (2, '4915112345678@s.whatsapp.net', 1, 'Busy', 1600000000123, '+49 151 12345678', 7,
  'Anna Schmidt', 2, 'Work', 'Anna', NULL);
INSERT INTO wa_contacts VALUES (3, '49151-1600000000@g.us', 1, NULL, NULL, NULL, NULL, 'Team', NULL, '1600000000000', NULL, NULL);
INSERT INTO wa_contacts VALUES (4, '123456789012345@lid', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'Bob');
)");
    const std::string before = slurp(db);

    auto book = read(db);
    ASSERT_TRUE(book) << book.error().describe();
    EXPECT_EQ(book->platform, Platform::Android);
    ASSERT_EQ(book->entries.size(), 3u);  // one per JID
    EXPECT_TRUE(book->warnings.empty());

    const Entry* anna = find(*book, "4915112345678@s.whatsapp.net");
    ASSERT_NE(anna, nullptr);
    EXPECT_EQ(anna->phone, "+4915112345678");
    EXPECT_EQ(anna->name, "Anna Schmidt");  // row 1's empty name does not win
    EXPECT_EQ(anna->wa_name, "anna");
    EXPECT_EQ(anna->number_as_written, "0151 12345678");  // the first row's
    EXPECT_EQ(anna->label, "Work");
    EXPECT_EQ(anna->about, "Busy");
    EXPECT_EQ(anna->about_utc, 1600000000);  // milliseconds → seconds
    EXPECT_EQ(anna->contact_id, "7");

    const Entry* team = find(*book, "49151-1600000000@g.us");
    ASSERT_NE(team, nullptr);
    EXPECT_EQ(team->phone, std::nullopt);
    EXPECT_EQ(team->name, "Team");
    EXPECT_EQ(team->label, std::nullopt);  // a group's phone_label is its creation time

    const Entry* bob = find(*book, "123456789012345@lid");
    ASSERT_NE(bob, nullptr);
    EXPECT_EQ(bob->phone, std::nullopt);
    EXPECT_EQ(bob->name, std::nullopt);
    EXPECT_EQ(bob->wa_name, "Bob");

    EXPECT_EQ(slurp(db), before);
    EXPECT_FALSE(fs::exists(dir.path() / "wa.db-wal"));
    EXPECT_FALSE(fs::exists(dir.path() / "wa.db-shm"));
}

TEST(AddressBook, IosRowsLabelsEpochAndMissingColumns)
{
    TempDir dir;
    const auto db = dir.path() / "ContactsV2.sqlite";
    // An older build: no ZABOUTTEXT/ZABOUTTIMESTAMP.
    exec(db, R"(
CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR,
  ZIDENTIFIER VARCHAR, ZPHONENUMBER VARCHAR, ZPHONENUMBERLABEL VARCHAR, ZWHATSAPPID VARCHAR);
INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (1, 'Josh Hickman', 'Josh', 'A-1', '(919) 579-0479', '_$!<Mobile>!$_', '19195790479@s.whatsapp.net');
INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (2, 'Josh Hickman', 'Josh', 'A-1', '(919) 391-2507', 'TextNow', '19193912507@s.whatsapp.net');
INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (3, NULL, 'Liz', 'B-2', '+1 (919) 208-4530', '_$!<Home>!$_', NULL);
INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (4, 'No Number', NULL, 'C-3', '(919) 000-0000', NULL, NULL);
)");
    auto book = read(db);
    ASSERT_TRUE(book) << book.error().describe();
    EXPECT_EQ(book->platform, Platform::Ios);
    ASSERT_EQ(book->entries.size(), 4u);  // one per row: a person's numbers stay apart
    ASSERT_EQ(book->warnings.size(), 1u);
    EXPECT_NE(book->warnings[0].find("ZABOUTTEXT"), std::string::npos) << book->warnings[0];

    const auto& e = book->entries;
    EXPECT_EQ(e[0].label, "Mobile");
    EXPECT_EQ(e[0].phone, "+19195790479");
    EXPECT_EQ(e[1].label, "TextNow");
    EXPECT_EQ(e[0].contact_id, e[1].contact_id);
    EXPECT_EQ(e[2].name, "Liz");            // the given name when there is no full name
    EXPECT_EQ(e[2].phone, "+19192084530");  // a non-user written internationally
    EXPECT_EQ(e[3].phone, std::nullopt);    // a national number is not guessed at
    EXPECT_EQ(e[3].about, std::nullopt);
}

TEST(AddressBook, IosAboutTimeIsOnTheCoreDataEpoch)
{
    TempDir dir;
    const auto db = dir.path() / "ContactsV2.sqlite";
    exec(db, R"(
CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, ZFULLNAME VARCHAR, ZWHATSAPPID VARCHAR,
  ZABOUTTEXT VARCHAR, ZABOUTTIMESTAMP TIMESTAMP);
INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (1, 'This Is DFIR Two', '19198887386@s.whatsapp.net',
  'Hey there! I am using WhatsApp.', 704735655);
)");
    auto book = read(db);
    ASSERT_TRUE(book) << book.error().describe();
    ASSERT_EQ(book->entries.size(), 1u);
    EXPECT_EQ(book->entries[0].about_utc, 1683042855);
}

TEST(AddressBook, FilesThatAreNotAnAddressBook)
{
    TempDir dir;
    EXPECT_EQ(read(dir.path() / "missing.db").error().code(), ErrorCode::NotFound);

    const auto text = dir.path() / "wa.db.crypt14";
    std::ofstream(text) << "not sqlite at all, an encrypted backup perhaps";
    auto r = read(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::Parse);
    EXPECT_NE(r.error().describe().find("decrypted first"), std::string::npos);

    const auto other = dir.path() / "places.sqlite";
    exec(other, "CREATE TABLE moz_places (id INTEGER);");
    r = read(other);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().describe().find("places.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace cv::address_book

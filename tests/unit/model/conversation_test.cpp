#include "model/conversation.hpp"

#include <gtest/gtest.h>

namespace cv {
namespace {

TEST(PhoneFromDisplayName, InternationalNumbersAsWhatsAppWritesThem)
{
    EXPECT_EQ(phone_from_display_name("+49 151 12345678"), "+4915112345678");
    EXPECT_EQ(phone_from_display_name("+1 (415) 555-0142"), "+14155550142");
    EXPECT_EQ(phone_from_display_name("+44\u00A07700\u00A0900461"), "+447700900461");
    EXPECT_EQ(phone_from_display_name("+971\u202F50\u202F123\u202F4567"), "+971501234567");
}

TEST(PhoneFromDisplayName, NamesNationalNumbersAndNonsenseAreNotPhones)
{
    EXPECT_FALSE(phone_from_display_name("Erika Muster"));
    EXPECT_FALSE(phone_from_display_name("0151 12345678"));  // national: needs a region
    EXPECT_FALSE(phone_from_display_name("+49 Büro"));
    EXPECT_FALSE(phone_from_display_name("+123"));
    EXPECT_FALSE(phone_from_display_name("+1234567890123456789"));
}

TEST(ConversationKey, OneToOneIsTheSameFromEitherPhone)
{
    Conversation on_a{
        "Bob", false, std::nullopt, {{"Alice", "+4915100000001", {}, {}}, {"Bob", "+4915100000002", {}, {}}}};
    Conversation on_b{"Alice",
                      false,
                      std::nullopt,
                      {{"Bob", "+4915100000002", {}, {}}, {"Alice", "+4915100000001", {}, {}}}};
    EXPECT_EQ(on_a.key(), on_b.key());
    EXPECT_EQ(on_a.key(), "pair:4915100000001|4915100000002");
}

TEST(ConversationKey, GroupsByJidElseByTitle)
{
    Conversation with_jid{"Desk", true, "120363041234567890@g.us", {}};
    EXPECT_EQ(with_jid.key(), "120363041234567890@g.us");
    Conversation from_export{"Desk", true, std::nullopt, {}};
    EXPECT_EQ(from_export.key(), "group:Desk");
}

TEST(ConversationFind, ByPersonKeyThenByName)
{
    Conversation c{"Desk", true, std::nullopt, {{"Alice", "+4915100000001", {}, {}}, {"Bob", {}, {}, {}}}};
    ASSERT_NE(c.find("4915100000001"), nullptr);
    EXPECT_EQ(c.find("4915100000001")->name, "Alice");
    ASSERT_NE(c.find("Bob"), nullptr);
    EXPECT_EQ(c.find("Carol"), nullptr);
}

TEST(ConversationFind, MatchesKeysAsPersonKeyWritesThem)
{
    // find() compares keys without building them: the same answers as comparing key().
    Conversation c;
    c.members = {Person{"Alice", "+4915100000001", {}, {}}, Person{"Bob", std::nullopt, {}, {}},
                 Person{"name:Eve", std::nullopt, {}, {}}, Person{"Dan", "4915100000004", {}, {}}};
    c.members[1].alias = "lid:123";
    std::vector<std::string> probes = {"",
                                       "name:",
                                       "name:Bob",
                                       "Bob",
                                       "lid:123",
                                       "name:name:Eve",
                                       "name:Eve",
                                       "4915100000004",
                                       "+4915100000004",
                                       "+4915100000001",
                                       "4915100000001",
                                       "Alice",
                                       "name:Alice",
                                       "Dan",
                                       "name:Dan"};
    for (const auto& m : c.members)
        probes.push_back(m.key());
    for (const auto& probe : probes) {
        const Person* expected = nullptr;
        for (const auto& m : c.members)
            if (!expected && m.key() == probe)
                expected = &m;
        for (const auto& m : c.members)
            if (!expected && m.name == probe)
                expected = &m;
        EXPECT_EQ(c.find(probe), expected) << probe;
    }
}

}  // namespace
}  // namespace cv

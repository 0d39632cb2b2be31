#include "render/detail/identity.hpp"

#include <gtest/gtest.h>

namespace cv::render::detail {
namespace {

Conversation desk()
{
    return Conversation{"Desk",
                        true,
                        std::nullopt,
                        {{"Alice", "+4915100000001", {}, {}},
                         {"Bob", {}, {}, "bob@bank.example"},
                         {"Jörg Müller", {}, {}, {}},
                         {"مريم", {}, {}, {}}}};
}

Item message(std::string author, std::int64_t utc, std::string text, std::uint64_t index)
{
    Item item;
    item.index = index;
    item.author = std::move(author);
    item.utc = utc;
    item.text = std::move(text);
    return item;
}

TEST(Identity, MappedAddressFirstThenNumberThenAStableInvalidName)
{
    const Conversation c = desk();
    Identity id(c, "whatsapp.invalid");
    EXPECT_EQ(id.mailbox(c.members[0]).address, "4915100000001@whatsapp.invalid");
    EXPECT_EQ(id.mailbox(c.members[1]).address, "bob@bank.example");
    const std::string joerg = id.mailbox(c.members[2]).address;
    EXPECT_TRUE(joerg.starts_with("j-rg-m-ller.")) << joerg;
    EXPECT_TRUE(joerg.ends_with("@by-name.whatsapp.invalid")) << joerg;
    EXPECT_EQ(joerg, Identity(c, "whatsapp.invalid").mailbox(c.members[2]).address) << "stable";
    const std::string mariam = id.mailbox(c.members[3]).address;
    EXPECT_EQ(mariam.find('@'), 8u) << "no Latin letters: the hash alone: " << mariam;
    EXPECT_EQ(id.conversation_mailbox().address.substr(0, 2), "g-");
}

TEST(Identity, KeyIdsAreUpperCasedAndShortOnesGetADiscriminator)
{
    const Conversation c = desk();
    Identity id(c, "whatsapp.invalid");
    EXPECT_EQ(id.message_id_for_key("3eb0c767d26b4e1a9f5c", "4915100000001", false),
              "wa.3EB0C767D26B4E1A9F5C@whatsapp.invalid");
    EXPECT_EQ(id.message_id_for_key("AC1234567890ABCDEF", "x", true),
              "wa-call.AC1234567890ABCDEF@whatsapp.invalid");
    const std::string legacy_a = id.message_id_for_key("1612345678-12", "4915100000001", false);
    const std::string legacy_b = id.message_id_for_key("1612345678-12", "4915100000002", false);
    EXPECT_TRUE(legacy_a.starts_with("wa.1612345678-12.")) << legacy_a;
    EXPECT_NE(legacy_a, legacy_b) << "short ids are told apart by sender";
}

TEST(MessageIds, ExportItemsCollideAcrossCopiesButRepeatsWithinAMinuteAreNumbered)
{
    const Conversation c = desk();
    Identity id(c, "whatsapp.invalid");
    MessageIds ids(id);
    // Seconds differ (iOS has them, Android not): same minute, same id.
    const std::string first = ids.assign(message("Alice", 1767261600, "ok", 0));
    MessageIds other_copy(id);
    EXPECT_EQ(other_copy.assign(message("Alice", 1767261642, "\u200Eok\r\n", 7)), first);

    const std::string second = ids.assign(message("Alice", 1767261610, "ok", 1));
    EXPECT_EQ(second, first.substr(0, first.find('@')) + ".2@whatsapp.invalid");
    EXPECT_EQ(ids.assign(message("Alice", 1767261610, "ok", 1)), second) << "a retried item keeps its id";
    EXPECT_NE(ids.assign(message("Bob", 1767261610, "ok", 2)), first) << "sender is part of the id";
    EXPECT_NE(ids.assign(message("Alice", 1767261700, "ok", 3)), first) << "minute is part of the id";
}

}  // namespace
}  // namespace cv::render::detail

// KeySet (the import's flat set of item keys) against std::set, under random inserts, lookups
// and clears, with keys that share their first bytes (the part that places them) too.

#include <random>
#include <set>

#include <gtest/gtest.h>

#include "ingest/key_set.hpp"

namespace cv::ingest {
namespace {

TEST(KeySet, AgreesWithAnOrderedSet)
{
    std::mt19937_64 rng(5);
    auto random_key = [&](bool clash) {
        archive::ItemKey k{};
        for (auto& b : k)
            b = static_cast<std::uint8_t>(rng());
        if (clash)
            std::fill(k.begin(), k.begin() + 8, std::uint8_t{7});  // same home slot, different key
        return k;
    };
    KeySet set;
    std::set<archive::ItemKey> reference;
    std::vector<archive::ItemKey> seen;
    EXPECT_FALSE(set.contains(random_key(false))) << "empty";
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 40000; ++i) {
            const bool again = !seen.empty() && rng() % 4 == 0;
            const archive::ItemKey k = again ? seen[rng() % seen.size()] : random_key(rng() % 16 == 0);
            if (rng() % 2) {
                set.insert(k);
                reference.insert(k);
                seen.push_back(k);
            }
            ASSERT_EQ(set.contains(k), reference.contains(k));
        }
        for (const auto& k : seen)
            ASSERT_EQ(set.contains(k), reference.contains(k));
        EXPECT_EQ(set.empty(), reference.empty());
        set.clear();
        reference.clear();
        for (const auto& k : seen)
            ASSERT_FALSE(set.contains(k)) << "cleared";
        EXPECT_TRUE(set.empty());
        seen.clear();
    }
}

// KeyFilter: never "no" for a key it was given, however far it grew (the import then skips
// asking the archive), and rarely "maybe" for one it was not.
TEST(KeyFilter, NeverForgetsAndRarelyGuesses)
{
    std::mt19937_64 rng(7);
    auto random_key = [&] {
        archive::ItemKey k{};
        for (auto& b : k)
            b = static_cast<std::uint8_t>(rng());
        return k;
    };
    KeyFilter filter;
    EXPECT_FALSE(filter.may_contain(random_key())) << "empty";
    filter.reserve(1000);
    std::vector<archive::ItemKey> given;
    for (int i = 0; i < 300000; ++i) {  // several filters: it grows past 65,536 keys twice
        given.push_back(random_key());
        filter.insert(given.back());
    }
    for (const auto& k : given)
        ASSERT_TRUE(filter.may_contain(k));
    int maybe = 0;
    for (int i = 0; i < 100000; ++i)
        maybe += filter.may_contain(random_key()) ? 1 : 0;
    EXPECT_LT(maybe, 2000);  // about 0.25% for each filter it holds
}

}  // namespace
}  // namespace cv::ingest

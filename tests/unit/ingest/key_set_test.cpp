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

}  // namespace
}  // namespace cv::ingest

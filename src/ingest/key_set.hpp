#pragma once
/// The set of item keys an import keeps for the batch it is reading and the one committing
/// (the archive cannot see those yet): open addressing in one flat array. A node-based set
/// cost more than the rest of the per-item bookkeeping. The keys are hashes already: their
/// first bytes place them.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "archive/archive.hpp"

namespace cv::ingest {

struct KeyHash {
    std::size_t operator()(const archive::ItemKey& k) const
    {
        std::size_t h = 0;
        std::memcpy(&h, k.data(), sizeof h);  // the key is a hash already
        return h;
    }
};

class KeySet {
public:
    bool contains(const archive::ItemKey& key) const
    {
        if (slots_.empty())
            return false;
        for (std::size_t i = home(key);; i = (i + 1) & mask()) {
            if (!used_[i])
                return false;
            if (slots_[i] == key)
                return true;
        }
    }
    void insert(const archive::ItemKey& key)
    {
        if (2 * (size_ + 1) > slots_.size())
            grow();
        for (std::size_t i = home(key);; i = (i + 1) & mask()) {
            if (!used_[i]) {
                used_[i] = 1;
                slots_[i] = key;
                ++size_;
                return;
            }
            if (slots_[i] == key)
                return;
        }
    }
    void clear()
    {
        std::fill(used_.begin(), used_.end(), 0);
        size_ = 0;
    }
    bool empty() const { return size_ == 0; }

private:
    std::size_t mask() const { return slots_.size() - 1; }
    std::size_t home(const archive::ItemKey& key) const { return KeyHash{}(key)&mask(); }
    void grow()
    {
        std::vector<archive::ItemKey> old_slots = std::move(slots_);
        std::vector<std::uint8_t> old_used = std::move(used_);
        slots_.assign(std::max<std::size_t>(1024, 2 * old_slots.size()), archive::ItemKey{});
        used_.assign(slots_.size(), 0);
        size_ = 0;
        for (std::size_t i = 0; i < old_slots.size(); ++i)
            if (old_used[i])
                insert(old_slots[i]);
    }
    std::vector<archive::ItemKey> slots_;
    std::vector<std::uint8_t> used_;
    std::size_t size_ = 0;
};

/// Keys that may be archived: a Bloom filter (16 bits and four probes a key: about one "maybe"
/// in 400 for a key it never saw). "No" is certain, so the archive is asked only about keys it
/// may hold: asking about every key of a large import read the key index's pages again and
/// again (a connection's page cache is emptied by every commit of the other one), hundreds of
/// thousands of 32 KiB reads for a million new items. Grows by adding a filter twice as large
/// when the newest is full (a lookup asks each of them).
class KeyFilter {
public:
    void insert(const archive::ItemKey& key)
    {
        if (filters_.empty() || filters_.back().count >= filters_.back().capacity)
            add(std::max<std::size_t>(1u << 16, 2 * total_capacity()));
        Filter& f = filters_.back();
        for (int i = 0; i < kProbes; ++i) {
            const std::uint64_t bit = probe(key, i) & f.mask;
            f.bits[bit >> 6] |= std::uint64_t{1} << (bit & 63);
        }
        ++f.count;
    }
    bool may_contain(const archive::ItemKey& key) const
    {
        for (const Filter& f : filters_) {
            bool all = true;
            for (int i = 0; i < kProbes && all; ++i) {
                const std::uint64_t bit = probe(key, i) & f.mask;
                all = (f.bits[bit >> 6] >> (bit & 63)) & 1;
            }
            if (all)
                return true;
        }
        return false;
    }
    /// Room for `keys` more before the next filter is added (when the number is known).
    void reserve(std::size_t keys)
    {
        if (filters_.empty() || filters_.back().capacity - filters_.back().count < keys)
            add(std::max<std::size_t>(1u << 16, keys + total_capacity()));
    }

private:
    static constexpr int kProbes = 4;
    static constexpr std::size_t kBitsPerKey = 16;
    struct Filter {
        std::vector<std::uint64_t> bits;
        std::uint64_t mask = 0;
        std::size_t capacity = 0;
        std::size_t count = 0;
    };
    // The key is a hash already: four of its 32-bit words are four independent probes.
    static std::uint64_t probe(const archive::ItemKey& key, int i)
    {
        std::uint32_t w = 0;
        std::memcpy(&w, key.data() + 4 * i, sizeof w);
        return w;
    }
    std::size_t total_capacity() const
    {
        std::size_t n = 0;
        for (const Filter& f : filters_)
            n += f.capacity;
        return n;
    }
    void add(std::size_t capacity)
    {
        std::size_t bits = 1u << 12;
        while (bits < capacity * kBitsPerKey && bits < (std::size_t{1} << 32))
            bits <<= 1;
        Filter f;
        f.bits.assign(bits / 64, 0);
        f.mask = bits - 1;
        f.capacity = bits / kBitsPerKey;
        filters_.push_back(std::move(f));
    }
    std::vector<Filter> filters_;
};

}  // namespace cv::ingest

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

}  // namespace cv::ingest

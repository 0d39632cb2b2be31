// Fuzz target for the Android msgstore.db reader and the wa.db address book: the bytes become a
// file named msgstore.db (SQLite parses the damaged pages; the readers must cope with whatever
// schema and rows come out). Checks: no crash, no hang (items capped), every item well-formed,
// every conversation index in range, every address-book phone "+digits".

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sources/address_book/address_book.hpp"
#include "sources/android_db/android_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// One private folder per process, removed at exit.
const std::filesystem::path& work_dir()
{
    static const std::filesystem::path dir = [] {
        std::string tmpl = (std::filesystem::temp_directory_path() / "cv-fuzz-android-XXXXXX").string();
        const char* made = ::mkdtemp(tmpl.data());
        if (made == nullptr)
            std::abort();
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(work_dir(), ec);
        });
        return std::filesystem::path(made);
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = work_dir() / "msgstore.db";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    if (auto book = cv::address_book::read(path))
        for (const auto& e : book->entries)
            if (e.phone && (e.phone->size() < 2 || (*e.phone)[0] != '+' ||
                            e.phone->find_first_not_of("0123456789", 1) != std::string::npos))
                __builtin_trap();
    cv::android_db::Options options;
    options.time_zone = size % 2 ? "Europe/Madrid" : "UTC";
    options.media_dir = work_dir();
    auto source = cv::android_db::open_android_db(path, options);
    if (!source)
        return 0;
    cv::Item item;
    std::size_t conv = 0;
    std::uint64_t expected = 0;
    for (int n = 0; n < 100000; ++n) {  // a cap: no input may keep the reader busy forever
        auto more = (*source)->next(item, conv);
        if (!more || !*more)
            break;
        if (item.index != expected++ || conv >= (*source)->conversations().size() ||
            !cv::is_valid(item.wall_clock))
            __builtin_trap();
        for (const auto& a : item.attachments)
            if (a.present && !a.inline_data && a.locator.empty())
                __builtin_trap();  // a present file must say where it is
    }
    return 0;
}

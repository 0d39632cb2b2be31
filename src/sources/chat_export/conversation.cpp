#include <algorithm>

#include <fmt/format.h>

#include "sources/chat_export/chat_export.hpp"

namespace cv::chat_export {

Result<Conversation> read_conversation(const std::filesystem::path& path, const Options& options)
{
    CV_TRY(auto reader, Reader::open(path, options));
    std::vector<std::string> authors;  // first appearance order; a chat has few, a linear scan is fine
    while (const Item* item = reader.next()) {
        // System lines are not people: iOS puts the group's or contact's name in their slot.
        if (item->kind == ItemKind::System || !item->author)
            continue;
        if (std::find(authors.begin(), authors.end(), *item->author) == authors.end())
            authors.push_back(*item->author);
    }
    const auto& chat_name = reader.report().chat_name;

    Conversation c;
    const bool name_writes =
        chat_name && std::find(authors.begin(), authors.end(), *chat_name) != authors.end();
    c.group = authors.size() > 2 || (authors.size() == 2 && chat_name && !name_writes);
    for (const auto& a : authors)
        c.members.push_back(Person{a, phone_from_display_name(a), {}, {}});
    if (!c.group && chat_name && !name_writes)
        c.members.push_back(Person{*chat_name, phone_from_display_name(*chat_name), {}, {}});
    if (chat_name) {
        c.title = *chat_name;
    } else if (!authors.empty() && authors.size() <= 3) {
        for (std::size_t i = 0; i < authors.size(); ++i)
            c.title += (i ? " & " : "") + authors[i];
    } else {
        c.title = path.stem().string();
    }
    return c;
}

}  // namespace cv::chat_export

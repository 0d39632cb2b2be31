// The job file: JSON through nlohmann (its exceptions stay in parse_job()).

#include "compliance/export/detail/job.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cv::compliance::exports::detail {

using nlohmann::json;

std::string job_text(const Job& j)
{
    json custodians = json::object();
    for (const auto& [m, c] : j.settings.custodians)
        custodians[m] = c;
    return json{{"format", "chatvault-export 1"},
                {"query", j.query},
                {"zone", j.zone},
                {"mailboxes", j.settings.mailboxes},
                {"custodians", custodians},
                {"dedupe", j.settings.dedupe},
                {"title", j.title},
                {"description", j.description},
                {"started", j.started},
                {"items", j.ids}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Job> parse_job(std::string_view text, const std::filesystem::path& path)
{
    const json j = json::parse(text, nullptr, false);
    const auto bad = [&path](std::string_view what) {
        return fail(ErrorCode::Parse, fmt::format("{}: {} (the export's state is damaged; remove the "
                                                  "folder to start the export again)",
                                                  path.string(), what));
    };
    if (j.is_discarded() || !j.is_object())
        return bad("not a JSON object");
    // nlohmann throws on a value of the wrong type: the exception stays in this function.
    try {
        if (j.at("format").get<std::string>() != "chatvault-export 1")
            return bad("unknown format");
        Job out;
        out.query = j.at("query").get<std::string>();
        out.zone = j.at("zone").get<std::string>();
        out.settings.mailboxes = j.at("mailboxes").get<std::vector<std::string>>();
        out.settings.custodians = j.at("custodians").get<std::map<std::string, std::string>>();
        out.settings.dedupe = j.at("dedupe").get<bool>();
        out.title = j.at("title").get<std::string>();
        out.description = j.at("description").get<std::string>();
        out.started = j.at("started").get<std::int64_t>();
        out.ids = j.at("items").get<std::vector<std::int64_t>>();
        for (std::size_t i = 0; i < out.ids.size(); ++i)
            if (out.ids[i] <= 0 || (i > 0 && out.ids[i] <= out.ids[i - 1]))
                return bad("the item list is not increasing positive numbers");
        return out;
    } catch (const std::exception& e) {
        return bad(e.what());
    }
}

}  // namespace cv::compliance::exports::detail

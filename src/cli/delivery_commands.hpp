#pragma once
/// The delivery commands: `delivery set|login|show` (the IMAP target and its credentials),
/// `deliver` (run what is due) and `deliveries` (what was delivered, what waits and why); and
/// the delivery that `import` runs after storing, when a target is set.

#include <optional>

#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "core/result.hpp"

namespace CLI {
class App;
}

namespace cv::cli {

void add_delivery_commands(CLI::App& app, int& status);

/// Runs a delivery when the archive has a target (nothing when it has none): the summary as
/// JSON ({"delivered", "already_there", "pending", "failed", "mailboxes": [...]}).
Result<std::optional<nlohmann::json>> deliver_if_configured(archive::Archive& archive);

/// "delivered 12  pending 3 (alice@example.com: mailbox is over quota: …)".
void print_delivery_summary(const nlohmann::json& summary);

}  // namespace cv::cli

#pragma once
/// `chatvault contacts FILE [--format jsonl|csv]`: the WhatsApp address book of a phone
/// (Android wa.db, iOS ContactsV2.sqlite). jsonl lists every entry; csv writes the starting
/// point of a mapping file (Name,Phone,Email with the email left for the administrator).

#include <string>

namespace CLI {
class App;
}

namespace cv::cli {

struct ContactsArgs {
    std::string path;
    std::string format = "jsonl";
};

/// Registers the subcommand; the callback stores its exit status in `status`.
void add_contacts_command(CLI::App& app, ContactsArgs& args, int& status);

int run_contacts(const ContactsArgs& args);

}  // namespace cv::cli

#include "cli/contacts_command.hpp"

#include <cstdio>
#include <set>

#include <CLI/CLI.hpp>
#include <csv.h>
#include <fmt/format.h>

#include "cli/json_writer.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "sources/address_book/address_book.hpp"

namespace cv::cli {

namespace {

void optional_field(JsonWriter& w, std::string_view key, const std::optional<std::string>& v)
{
    if (v) {
        w.field(key, *v);
    } else {
        w.key(key);
        w.null();
    }
}

void write_jsonl(const address_book::AddressBook& book)
{
    JsonWriter w(stdout);
    for (const auto& e : book.entries) {
        w.begin_object();
        optional_field(w, "jid", e.jid);
        optional_field(w, "phone", e.phone);
        optional_field(w, "name", e.name);
        optional_field(w, "wa_name", e.wa_name);
        optional_field(w, "number", e.number_as_written);
        optional_field(w, "label", e.label);
        optional_field(w, "about", e.about);
        optional_field(w, "about_utc", e.about_utc ? std::optional(format_utc(*e.about_utc)) : std::nullopt);
        optional_field(w, "contact_id", e.contact_id);
        w.end_object();
        w.end_line();
    }
    w.flush();
}

// libcsv quotes each field the RFC 4180 way (always quoted, quotes doubled), which is what the
// mapping reader (also libcsv) takes back.
void csv_field(std::string_view s, bool last)
{
    csv_fwrite(stdout, s.data(), s.size());
    std::fputs(last ? "\r\n" : ",", stdout);
}

// One row per phone number, once each: the mapping is keyed by number, and a person's several
// numbers are several rows of the same email.
void write_mapping_csv(const address_book::AddressBook& book)
{
    csv_field("Name", false);
    csv_field("Phone", false);
    csv_field("Email", true);
    std::set<std::string> seen;
    for (const auto& e : book.entries) {
        if (!e.phone || !seen.insert(*e.phone).second)
            continue;
        csv_field(e.name ? *e.name : e.wa_name ? *e.wa_name : "", false);
        csv_field(*e.phone, false);
        csv_field("", true);
    }
    std::fflush(stdout);
}

}  // namespace

void add_contacts_command(CLI::App& app, ContactsArgs& args, int& status)
{
    auto* cmd = app.add_subcommand(
        "contacts", "List a phone's WhatsApp address book (Android wa.db, iOS ContactsV2.sqlite)");
    cmd->add_option("path", args.path, "wa.db or ContactsV2.sqlite (read from a private copy, never changed)")
        ->required();
    cmd->add_option("--format", args.format,
                    "jsonl: every entry; csv: Name,Phone,Email rows to start a mapping file from")
        ->check(CLI::IsMember({"jsonl", "csv"}))
        ->capture_default_str();
    cmd->callback([&args, &status] { status = run_contacts(args); });
}

int run_contacts(const ContactsArgs& args)
{
    auto book = address_book::read(args.path);
    if (!book) {
        fmt::print(stderr, "chatvault: error: {}\n", book.error().describe());
        return exit_code(book.error().code());
    }
    for (const auto& w : book->warnings)
        fmt::print(stderr, "chatvault: warning: {}: {}\n", args.path, w);
    if (args.format == "csv")
        write_mapping_csv(*book);
    else
        write_jsonl(*book);
    return 0;
}

}  // namespace cv::cli

// chatvault: a self-hosted compliance archive for WhatsApp.

#include <malloc.h>

#include <CLI/CLI.hpp>

#include "cli/archive_commands.hpp"
#include "cli/compliance_commands.hpp"
#include "cli/connector_commands.hpp"
#include "cli/contacts_command.hpp"
#include "cli/delivery_commands.hpp"
#include "cli/parse_command.hpp"
#include "cli/render_command.hpp"
#include "cli/search_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/user_commands.hpp"

int main(int argc, char** argv)
{
    // Fixed malloc thresholds. By default glibc raises its mmap threshold (up to 32 MiB) each
    // time a large block is freed, so that an import's multi-megabyte buffers (record chunks,
    // SQLite's) end up in fragmented heaps, and it gives the top of each thread's heap back to
    // the kernel as soon as it is free, so that the next attachment's buffers fault their pages
    // in again: 25% more peak RSS and seconds of system time in a large import.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    CLI::App app{"chatvault: a self-hosted compliance archive for WhatsApp"};
    app.require_subcommand(1);
    int status = 0;
    cv::cli::ParseArgs parse_args;
    cv::cli::add_parse_command(app, parse_args, status);
    cv::cli::RenderArgs render_args;
    cv::cli::add_render_command(app, render_args, status);
    cv::cli::add_archive_commands(app, status);
    cv::cli::ContactsArgs contacts_args;
    cv::cli::add_contacts_command(app, contacts_args, status);
    cv::cli::add_delivery_commands(app, status);
    cv::cli::SearchArgs search_args;
    cv::cli::add_search_command(app, search_args, status);
    cv::cli::add_compliance_commands(app, status);
    cv::cli::add_serve_command(app, status);
    cv::cli::add_user_commands(app, status);
    cv::cli::add_connector_commands(app, status);
    CLI11_PARSE(app, argc, argv);
    return status;
}

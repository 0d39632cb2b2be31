#pragma once
/// What every archive command does the same way: print an error and give its exit code,
/// print JSON, open the archive the options name.

#include <string>

#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "core/error.hpp"
#include "core/result.hpp"

namespace cv::cli {

/// "chatvault: error: …" on stderr; returns the exit code for the error's kind.
int report_error(const Error& e);

/// Indented JSON on stdout; text that is not UTF-8 is replaced, never refused.
void print_json(const nlohmann::json& j);

/// The archive in --archive DIR, else $CHATVAULT_ARCHIVE, else ./archive.
Result<archive::Archive> open_archive(const std::string& flag);

}  // namespace cv::cli

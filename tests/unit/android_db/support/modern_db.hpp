#pragma once
/// A modern-schema (2021+) msgstore.db for tests: whatsapp-viewer's DDL (read in place from the
/// public corpus, never copied) plus rows of our own for every message type of spec §B.4 the
/// reader knows, calls in call_log (one of them also as a type-90 chat row), and a media folder
/// that holds some of the files the rows name and lacks others. Shared by reader_test (does it
/// parse) and render_import_test (does it render and import).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sqlite/sqlite.hpp"
#include "support/temp_dir.hpp"

#ifndef CV_CORPUS_DIR
#define CV_CORPUS_DIR "../shared/corpus"
#endif

namespace cv::android_db::test_db {

namespace fs = std::filesystem;

inline const fs::path kViewerSchema = fs::path(CV_CORPUS_DIR) / "whatsapp-viewer/data/msgstore.db.schema.sql";
inline const fs::path kViewerRows = fs::path(CV_CORPUS_DIR) / "whatsapp-viewer/data/test-database.sql";

/// True when the DDL and rows of whatsapp-viewer are there to build databases from.
bool viewer_files_present();

/// A fresh directory under /tmp, removed with everything in it.
using test::slurp;
using test::TempDir;

/// Runs a whole SQL file (a GoogleTest failure when SQLite refuses it).
void exec_file(sqlite::Database& db, const fs::path& sql);

/// `dir/name` created from whatsapp-viewer's 2021 DDL, with its test rows (legacy table) when
/// asked.
fs::path build_viewer_db(const TempDir& dir, const std::string& name, bool viewer_rows);

/// 2026-01-01T10:00:00Z in ms; message row N of a chat is at kT0 + (N % 100) minutes.
constexpr std::int64_t kT0 = 1767261600000;

/// The SQL that adds our modern rows (and the side tables the DDL lacks) to a viewer database.
std::string modern_rows();

/// A file the media folder holds: its path relative to the media root, and its bytes.
struct MediaFile {
    std::string path;
    std::string bytes;
};

/// The files written into the media folder; every other file the rows name is missing.
const std::vector<MediaFile>& media_files();

/// The built database (`db`) and its media root (`media`, the folder holding `Media/`), in a
/// temporary directory of their own.
struct ModernFixture {
    TempDir dir;
    fs::path db;
    fs::path media;
    ModernFixture();
};

}  // namespace cv::android_db::test_db

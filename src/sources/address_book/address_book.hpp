#pragma once
/// The phone's WhatsApp address book: Android `wa.db` (table `wa_contacts`) or iOS
/// `ContactsV2.sqlite` (table `ZWAADDRESSBOOKCONTACT`), read from a private copy so the
/// originals are never touched. The database readers take names from it; `chatvault
/// contacts` lists it so an administrator can see who is on the phone before writing a
/// mapping CSV.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cv::address_book {

enum class Platform { Android, Ios };

struct Entry {
    std::optional<std::string> jid;                ///< WhatsApp id as stored; none for a non-user (iOS)
    std::optional<std::string> phone;              ///< "+digits" from a phone JID: what user mapping keys on
    std::optional<std::string> name;               ///< display_name / ZFULLNAME, else the given name
    std::optional<std::string> wa_name;            ///< the name the person set in WhatsApp (Android)
    std::optional<std::string> number_as_written;  ///< wa_contacts.number / ZPHONENUMBER
    std::optional<std::string> label;              ///< "Mobile" (iOS stores "_$!<Mobile>!$_")
    std::optional<std::string> about;              ///< status / ZABOUTTEXT
    std::optional<std::int64_t> about_utc;         ///< when the about text was set, Unix seconds
    std::optional<std::string> contact_id;  ///< raw_contact_id / ZIDENTIFIER: one person's numbers share it
};

struct AddressBook {
    Platform platform = Platform::Android;
    /// Android: one entry per JID (the table repeats a JID once per address-book number; the
    /// first row's non-empty value wins field by field). iOS: one entry per row, in row order.
    std::vector<Entry> entries;
    std::vector<std::string> warnings;  ///< columns this WhatsApp build lacks, read as empty
};

/// "+4915112345678" for a JID whose user part is a phone number ("4915112345678@s.whatsapp.net",
/// "…@c.us", or a bare number as hand-made legacy rows hold); nullopt for groups, LIDs,
/// broadcasts and anything else.
std::optional<std::string> phone_of_jid(std::string_view jid);

/// Errors: NotFound, Parse (not SQLite: an encrypted backup must be decrypted first),
/// InvalidArgument (an SQLite file that is neither wa.db nor ContactsV2.sqlite), Io.
Result<AddressBook> read(const std::filesystem::path& path);

}  // namespace cv::address_book

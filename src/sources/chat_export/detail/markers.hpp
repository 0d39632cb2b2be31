#pragma once
/// Localized marker tables for chat-export bodies: the texts WhatsApp writes in place of
/// media, deleted messages, calls, locations and notices, in every language we know them.
/// Every function takes the raw body (what follows "Author: " or the header, continuation
/// lines joined with "\n") exactly as written: it may start or end with LRM/RLM (U+200E/F),
/// U+202A..U+202E, BOM and NBSP, and must tolerate invalid UTF-8 without reading out of
/// bounds. They are pure and allocation-light: they run once per message.

#include <optional>
#include <string>
#include <string_view>

#include "model/item.hpp"

namespace cv::chat_export::detail {

/// The body is a deleted-message tombstone ("This message was deleted", "You deleted this
/// message", "Diese Nachricht wurde gelöscht.", …), en es de fr pt it ru nl uk cs id hi ja th
/// vi ar at least, with or without the leading LRM and final period.
bool is_deleted_tombstone(std::string_view body);

/// When the body ends with the "edited" marker (" <This message was edited>", iOS with LRM
/// before it, localized), the number of trailing bytes that form the marker (including the
/// space / LRM before it); 0 otherwise.
std::size_t edited_marker_length(std::string_view body);

/// The first line of the body is a "media left out of the export" placeholder: Android
/// "<Media omitted>" (any case; localized: "<Medien ausgeschlossen>", "<Media weggelaten>",
/// "<Média vynechány>", "<Без медиафайлов>", "<Multimedia omitido>", "<Archivo omitido>",
/// "<Médias omis>", "<Mídia omitida>", "<Media omessi>", "<Video message omitted>",
/// "<メディアなし>", …) or iOS "image omitted", "video omitted", "audio omitted", "GIF omitted",
/// "sticker omitted", "Contact card omitted", "NAME document omitted",
/// "NAME • 2 pages document omitted" and their translations ("Bild weggelassen",
/// "imagem não revelada", "immagine omessa", "image absente", "imagen omitida",
/// "изображение отсутствует", "obrázek vynechán", "画像は含まれていません", "đã bỏ qua hình ảnh",
/// "لم يتم إدراج الصورة", …). Returns the media type the placeholder names (Unknown when it
/// does not say).
std::optional<MediaType> media_omitted(std::string_view first_line);

/// An attachment marker in the first line of the body:
///   iOS  "<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>" (optionally LRM-prefixed, also
///        "< attached: NAME >", localized "<Anhang: NAME>", "<المُرفق: NAME>", full-width colon
///        for zh/ja, and the document form "Caption <LRM><attached: 00000046-Some file.txt>")
///   iOS  2015 form "NAME <LRM attached>"
///   Android "NAME (file attached)" with optional LRM before NAME; localized "(Datei angehängt)",
///        "(bestand bijgevoegd)", "(soubor byl přiložen)", "(файл добавлен)", "(archivo adjunto)",
///        "(fichier joint)", "(arquivo anexado)", "(file allegato)", …
struct AttachmentMarker {
    std::string name;  ///< the file name, byte-exact, without marker text or invisible marks
    MediaType type = MediaType::Unknown;  ///< from the name (see media_type_from_name)
};
std::optional<AttachmentMarker> attachment_marker(std::string_view first_line);

/// Media type from an export file name: iOS "NNNNNNNN-PHOTO-…", "-VIDEO-", "-AUDIO-", "-GIF-",
/// "-STICKER-"; Android "IMG-…", "VID-…", "AUD-…", "PTT-…" (voice note), "STK-…", "DOC-…";
/// otherwise by extension (.jpg .png .webp .mp4 .opus .vcf .pdf …). Unknown when nothing fits.
MediaType media_type_from_name(std::string_view file_name);

/// The body is a missed-call line ("Missed voice call", "Missed video call", iOS
/// "Missed voice call. Tap to call back", localized "Zmeškaný hovor", "Gemiste spraakoproep",
/// "Пропущенный аудиозвонок", "Verpasster Sprachanruf", …). Returns voice or video.
std::optional<CallMedia> missed_call(std::string_view body);

/// A shared location: Android "location: https://maps.google.com/?q=LAT,LON" (localized
/// "locatie:", "Standort:", …), iOS "<LRM>Location: https://maps.google.com/?q=LAT,LON",
/// "live location shared" (live = true, no url), and a Foursquare venue, iOS one line
/// "Name (Address): https://foursquare.com/v/…", Android three lines name / address / URL.
/// Latitude is the first number of q=.
std::optional<Location> location(std::string_view body);

/// The body is a notice WhatsApp writes itself, which iOS (and some Android exports) place
/// under the chat's or a contact's name in the author slot: the end-to-end-encryption notice of
/// every era and language, "This business uses a secure service from Meta…", "Your security
/// code with X changed", "X changed their phone number…", disappearing-message timer notices,
/// "You were added", group create/add/remove/leave/subject/icon/description notices.
/// Decided by the tables only.
///
/// `scope` limits the search: notices that start with someone's name ("X changed their phone
/// number…", the Hindi/Japanese security notices) can be anywhere in a body, which costs a
/// scan of every body; NameFirstOnlyAfterMark looks for those only in bodies that start with
/// LRM/RLM, as WhatsApp writes them when it puts them under an author.
enum class NoticeScope { Everywhere, NameFirstOnlyAfterMark };
bool is_system_notice(std::string_view body, NoticeScope scope = NoticeScope::Everywhere);

/// The body starts with LRM/RLM and is none of the user-content markers above (attachment,
/// omitted media, deleted, location, call, contact card). WhatsApp writes that mark before the
/// texts it generates — but users' own messages can start with it too, so this is only a hint
/// (the reader uses it for the first line of a chat, where iOS puts its encryption notice).
bool is_marked_generated_text(std::string_view body);

/// The line contains an iOS attachment label ("<attached:", "<Anhang:", … in any language we
/// know) — used to tell a damaged marker (cut across lines, no file name) from plain text when
/// attachment_marker() found nothing.
bool mentions_attachment_label(std::string_view line);

/// False when `body` cannot be any of the markers above (no function here would accept it):
/// lets the reader skip the tables for ordinary text. True does not mean it is a marker.
bool may_be_marker(std::string_view body);

/// may_be_marker as one search per shape: the plain version the one-pass scan is checked against.
bool may_be_marker_reference(std::string_view body);

}  // namespace cv::chat_export::detail

#include "sources/chat_export/detail/markers.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Where the strings come from, in order of trust:
//  [export]  seen in a real device export under ../shared/corpus (whats_json's scripted chat in
//            ~16 UI languages, WhatsR's en/de test phones, Pustur's fixtures);
//  [strings] WhatsApp's own string tables (iOS Localizable.strings, Android strings.xml) as
//            collected in starkdmi/whats_json lib/src/patterns.dart (their keys are named there);
//  [peer]    another parser's table (chat-analytics' media-omitted list, the spec's lists) or,
//            for the edited marker, the wording the brief gives: no licensed export with it exists.
// Tables are grouped per language; a comment names the platform when the forms differ.

namespace cv::chat_export::detail {

namespace {

// ---------------------------------------------------------------------------------------------
// Invisible marks and trimming

// Byte length of what exports put around markers at s[i] (0 when none): the invisible marks
// (utf8::invisible_mark_length), plus NBSP and NNBSP. They never carry meaning for us here.
std::size_t mark_at(std::string_view s, std::size_t i)
{
    if (const auto n = utf8::invisible_mark_length(s, i))
        return n;
    const std::size_t avail = s.size() - i;
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (avail >= 2 && b0 == 0xC2 && static_cast<unsigned char>(s[i + 1]) == 0xA0)
        return 2;  // NBSP
    if (avail >= 3 && b0 == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0xAF)
        return 3;  // NNBSP
    return 0;
}

// Byte length of the invisible mark that ends just before s[end] (0 when none).
std::size_t mark_before(std::string_view s, std::size_t end)
{
    if (end >= 3 && mark_at(s, end - 3) == 3)
        return 3;
    if (end >= 2 && mark_at(s, end - 2) == 2)
        return 2;
    return 0;
}

// LRM or RLM: the marks WhatsApp itself writes before the texts it generates.
bool is_bidi_mark_at(std::string_view s, std::size_t i)
{
    return i + 3 <= s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
           static_cast<unsigned char>(s[i + 1]) == 0x80 &&
           (static_cast<unsigned char>(s[i + 2]) == 0x8E || static_cast<unsigned char>(s[i + 2]) == 0x8F);
}

// The body's first visible mark, after blanks, BOM or NBSP, is LRM/RLM.
bool starts_with_bidi_mark(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size() && !is_bidi_mark_at(s, i)) {
        if (s[i] == ' ' || s[i] == '\t')
            ++i;
        else if (const auto n = mark_at(s, i))
            i += n;
        else
            return false;
    }
    return i < s.size();
}

bool is_blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Bytes that can start what trim() strips (a blank, or the lead byte of a mark, NBSP or NNBSP;
// see mark_at), and bytes that can end it (a blank, or the last byte of one of them).
constexpr auto kStripFirst = [] {
    std::array<bool, 256> t{};
    for (const unsigned char c : {' ', '\t', '\r', '\n'})
        t[c] = true;
    for (const unsigned char c : {0xC2, 0xD8, 0xE2, 0xEF})
        t[c] = true;
    return t;
}();
constexpr auto kStripLast = [] {
    std::array<bool, 256> t{};
    for (const unsigned char c : {' ', '\t', '\r', '\n'})
        t[c] = true;
    // LRM, RLM, ALM, NBSP, LRE..RLO and NNBSP, LRI..PDI, BOM.
    for (const unsigned char c :
         {0x8E, 0x8F, 0x9C, 0xA0, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xA6, 0xA7, 0xA8, 0xA9, 0xBF})
        t[c] = true;
    return t;
}();

// `s` without leading and trailing blanks and invisible marks.
std::string_view trim(std::string_view s)
{
    // Most bodies begin and end with a byte that cannot be part of anything stripped (visible
    // ASCII, or a letter's or emoji's UTF-8): nothing to strip.
    if (!s.empty() && !kStripFirst[static_cast<unsigned char>(s.front())] &&
        !kStripLast[static_cast<unsigned char>(s.back())])
        return s;
    while (!s.empty()) {
        if (is_blank_byte(s.front())) {
            s.remove_prefix(1);
        } else if (const auto n = mark_at(s, 0)) {
            s.remove_prefix(n);
        } else {
            break;
        }
    }
    while (!s.empty()) {
        if (is_blank_byte(s.back())) {
            s.remove_suffix(1);
        } else if (const auto n = mark_before(s, s.size())) {
            s.remove_suffix(n);
        } else {
            break;
        }
    }
    return s;
}

// memchr must not see the null data() of an empty view.
std::string_view first_line_of(std::string_view s)
{
    if (s.empty())
        return s;
    const auto* nl = static_cast<const char*>(std::memchr(s.data(), '\n', s.size()));
    return nl == nullptr ? s : s.substr(0, static_cast<std::size_t>(nl - s.data()));
}

bool has_newline(std::string_view s)
{
    return !s.empty() && std::memchr(s.data(), '\n', s.size()) != nullptr;
}

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Tombstones end with a full stop on iOS and without one on Android; Japanese, Hindi and Urdu use
// their own stops.
std::string_view drop_final_stop(std::string_view s)
{
    if (s.empty())
        return s;
    if (s.back() == '.')
        return s.substr(0, s.size() - 1);
    if (static_cast<unsigned char>(s.back()) < 0x80)
        return s;
    constexpr std::array<std::string_view, 3> kStops = {"\u3002", "\u0964", "\u06D4"};
    for (const auto stop : kStops)
        if (ends_with(s, stop))
            return s.substr(0, s.size() - stop.size());
    return s;
}

// ---------------------------------------------------------------------------------------------
// Case-insensitive comparison

// Simple lowercase mapping for the scripts our tables use. Every pair it maps has the same UTF-8
// length, so two strings that compare equal have the same byte size: the tables can be searched
// by size first.
char32_t fold(char32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x100 && c <= 0x17E) {
        if ((c >= 0x139 && c <= 0x148) || c >= 0x179)
            return (c & 1) != 0 ? c + 1 : c;
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149)
            return c;
        return c | 1;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if ((c >= 0x490 && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x4FF))
        return c | 1;
    if (c >= 0x1EA0 && c <= 0x1EFF)
        return c | 1;
    return c;
}

bool equal_folded(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    std::size_t i = 0;
    while (i < a.size()) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if (x < 0x80 && y < 0x80) {
            if (fold(x) != fold(y))
                return false;
            ++i;
            continue;
        }
        std::size_t la = 0, lb = 0;
        const char32_t ca = utf8::decode(a, i, la);
        const char32_t cb = utf8::decode(b, i, lb);
        if (ca == utf8::kInvalid || cb == utf8::kInvalid || la != lb) {
            // Ill-formed input can only match byte for byte.
            if (x != y)
                return false;
            ++i;
            continue;
        }
        if (fold(ca) != fold(cb))
            return false;
        i += la;
    }
    return true;
}

bool ends_with_folded(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && equal_folded(s.substr(s.size() - suffix.size()), suffix);
}

// ---------------------------------------------------------------------------------------------
// Tables searched by byte size (binary search, then a folded compare of the few same-size rows),
// behind a 4096-bit filter on (size, first byte, last byte) that turns away almost every ordinary
// body before the search: these lookups run several times per message.

struct Phrase {
    std::string_view text;
};

struct TypedPhrase {
    std::string_view text;
    MediaType type = MediaType::Unknown;
};

struct CallPhrase {
    std::string_view text;
    CallMedia media = CallMedia::Voice;
};

template <class E, std::size_t N> struct Table {
    std::array<E, N> rows;  ///< sorted by byte size
    std::array<std::uint64_t, 64> filter;
};

// A byte as the filter sees it: ASCII folded to lower case; every non-ASCII byte alike, because
// folding a non-ASCII letter can change its lead byte (Cyrillic Р..Я) and always its last byte.
constexpr std::size_t filter_byte(char c)
{
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x80 ? 0x80 : (b >= 'A' && b <= 'Z') ? b + 32U : b;
}

constexpr std::size_t filter_slot(std::string_view s)
{
    return (s.size() * 131 + filter_byte(s.front()) * 7 + filter_byte(s.back())) & 4095;
}

template <class E, std::size_t N> constexpr Table<E, N> make_table(std::array<E, N> a)
{
    for (std::size_t i = 1; i < N; ++i)
        for (std::size_t j = i; j > 0 && a[j].text.size() < a[j - 1].text.size(); --j)
            std::swap(a[j], a[j - 1]);
    Table<E, N> t{a, {}};
    for (const auto& e : t.rows) {
        const auto slot = filter_slot(e.text);
        t.filter[slot / 64] |= std::uint64_t{1} << (slot % 64);
    }
    return t;
}

template <class E, std::size_t N> const E* find_folded(const Table<E, N>& table, std::string_view s)
{
    if (s.empty() || s.size() > table.rows.back().text.size())
        return nullptr;
    const auto slot = filter_slot(s);
    if (((table.filter[slot / 64] >> (slot % 64)) & 1U) == 0)
        return nullptr;
    auto it = std::lower_bound(table.rows.begin(), table.rows.end(), s.size(),
                               [](const E& e, std::size_t n) { return e.text.size() < n; });
    for (; it != table.rows.end() && it->text.size() == s.size(); ++it)
        if (equal_folded(it->text, s))
            return &*it;
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Deleted-message tombstones, without the final stop (drop_final_stop removes it from the body).

constexpr auto kTombstones = make_table(std::to_array<Phrase>({
    // English. [export] Android and iOS; [strings] the admin forms.
    {"This message was deleted"},
    {"You deleted this message"},
    {"This message was deleted by an admin"},
    {"You deleted this message as admin"},
    // [peer] WhatsR's tables list it as a third English form.
    {"Message deleted"},
    // Spanish. [export] iOS; [strings] the older Android incoming form.
    {"Se eliminó este mensaje"},
    {"Eliminaste este mensaje"},
    {"Este mensaje fue eliminado"},
    // German. [export] iOS; [strings] Android uses the same words.
    {"Diese Nachricht wurde gelöscht"},
    {"Du hast diese Nachricht gelöscht"},
    // French. [export] iOS; [strings] Android.
    {"Ce message a été supprimé"},
    {"Vous avez supprimé ce message"},
    // Portuguese. [export] iOS pt-PT; [strings] pt-BR and Android.
    {"Esta mensagem foi apagada"},
    {"Apagou esta mensagem"},
    {"Mensagem apagada"},
    {"Você apagou esta mensagem"},
    {"Esta mensagem foi apagada pelo remetente"},
    // Italian. [export] iOS; [strings] Android.
    {"Questo messaggio è stato eliminato"},
    {"Hai eliminato questo messaggio"},
    // Russian. [export] iOS and Android; [strings] the older outgoing form.
    {"Данное сообщение удалено"},
    {"Вы удалили данное сообщение"},
    {"Вы удалили это сообщение"},
    // Dutch. [export] Android.
    {"Dit bericht is verwijderd"},
    {"U hebt dit bericht verwijderd"},
    // Ukrainian. [export] iOS.
    {"Це повідомлення було видалено"},
    {"Ви видалили це повідомлення"},
    // Czech. [export] iOS ("smazána") and Android ("odstraněna").
    {"Tato zpráva byla smazána"},
    {"Tuto zprávu jste smazal/a"},
    {"Tato zpráva byla odstraněna"},
    {"Tuto zprávu jste odstranil/a"},
    // Indonesian. [export] iOS; [strings] Android.
    {"Pesan ini dihapus"},
    {"Anda menghapus pesan ini"},
    {"Pesan ini telah dihapus"},
    {"Anda telah menghapus pesan ini"},
    // Hindi. [export] iOS; [strings] Android.
    {"यह मैसेज डिलीट कर दिया गया है"},
    {"आपने यह मैसेज डिलीट किया"},
    {"यह संदेश मिटाया गया"},
    {"आपने यह संदेश मिटाया"},
    // Japanese. [export] iOS.
    {"このメッセージは削除されました"},
    {"このメッセージを削除しました"},
    // Thai. [export] iOS; [strings] Android.
    {"ข้อความนี้ถูกลบแล้ว"},
    {"คุณได้ลบข้อความนี้"},
    {"ข้อความนี้ได้ถูกลบ"},
    {"คุณลบข้อความนี้"},
    // Vietnamese. [export] iOS; [strings] the other placement of the tone mark in "xóa"/"xoá".
    {"Tin nhắn này đã bị xóa"},
    {"Bạn đã xoá tin nhắn này"},
    {"Tin nhắn này đã bị xoá"},
    {"Bạn đã xóa tin nhắn này"},
    // Arabic. [export] iOS (two app versions for the outgoing form).
    {"تم حذف هذه الرسالة"},
    {"لقد حذَفت هذه الرسالة"},
    {"أنت حذفت هذه الرسالة"},
    // Turkish, Polish, Greek, Hebrew, Chinese, Korean, Swedish. [strings] iOS.
    {"Bu mesaj silindi"},
    {"Bu mesajı sildiniz"},
    {"Ta wiadomość została usunięta"},
    {"Usunąłeś(-ęłaś) tę wiadomość"},
    {"Αυτό το μήνυμα διαγράφηκε"},
    {"Διαγράψατε αυτό το μήνυμα"},
    {"הודעה זו נמחקה"},
    {"מחקת את ההודעה הזו"},
    {"此訊息已刪除"},
    {"这条消息已被删除"},
    {"您已刪除此訊息"},
    {"您已删除这条消息"},
    {"이 메시지는 삭제되었습니다"},
    {"이 메시지를 삭제했습니다"},
    {"Det här meddelandet raderades"},
    {"Du raderade det här meddelandet"},
}));

// [strings] "This message was deleted by admin %@."
constexpr std::string_view kDeletedByAdminPrefix = "This message was deleted by admin ";

// ---------------------------------------------------------------------------------------------
// Edited marker, the text between '<' and '>' (a final stop inside is optional).
// [peer] None of these is in a licensed export (MANIFEST lists the marker as a gap): English is
// the wording every peer quotes; the other languages are WhatsApp's wording as the brief and
// other parsers' tables give it, with the shorter pt/it forms those tables also list.

constexpr auto kEdited = make_table(std::to_array<Phrase>({
    {"This message was edited"},              // English
    {"Se editó este mensaje"},                // Spanish
    {"Diese Nachricht wurde bearbeitet"},     // German
    {"Ce message a été modifié"},             // French
    {"Esta mensagem foi editada"},            // Portuguese
    {"Mensagem editada"},                     // Portuguese (short form)
    {"Questo messaggio è stato modificato"},  // Italian
    {"Messaggio modificato"},                 // Italian (short form)
    {"Сообщение изменено"},                   // Russian
    {"Dit bericht is bewerkt"},               // Dutch
}));

// ---------------------------------------------------------------------------------------------
// Media left out of the export.

// Android: the whole first line is "<TEXT>"; the type is not said.
constexpr auto kAndroidOmitted = make_table(std::to_array<TypedPhrase>({
    // English. [export] "<Media omitted>" (also lower case); [peer] the video note form.
    {"Media omitted"},
    {"Video message omitted", MediaType::Video},
    // German. [export] WhatsR; [strings] the newer form.
    {"Medien ausgeschlossen"},
    {"Medien weggelassen"},
    // Dutch. [export]
    {"Media weggelaten"},
    // Czech. [export] "vynechány"; [strings] "vynechána".
    {"Média vynechány"},
    {"Média vynechána"},
    // Russian. [export] "Без медиафайлов"; [strings] the older form.
    {"Без медиафайлов"},
    {"Файл пропущен"},
    // Spanish. [peer] chat-analytics; [strings] "Archivo omitido".
    {"Multimedia omitido"},
    {"Archivo omitido"},
    // French. [peer]
    {"Médias omis"},
    {"Fichier omis"},
    // Portuguese. [peer] pt-BR and pt-PT.
    {"Mídia omitida"},
    {"Ficheiro não revelado"},
    // Italian. [peer]
    {"Media omessi"},
    {"Media omesso"},
    // Ukrainian, Indonesian, Hindi, Japanese, Thai, Vietnamese, Arabic. [peer] / [strings]
    {"Медіа пропущено"},
    {"Media tidak disertakan"},
    {"मीडिया के बिना"},
    {"メディアなし"},
    {"メディアは含まれていません"},
    {"ไฟล์สื่อถูกลบ"},
    {"สื่อถูกลบ"},
    {"bỏ qua tệp phương tiện"},
    {"Bỏ qua Media"},
    {"تم استبعاد الوسائط"},
    // Turkish, Polish, Greek, Hebrew, Chinese, Korean, Swedish, Romanian, Hungarian. [peer]
    {"medya dahil edilmedi"},
    {"Medya atlanmış"},
    {"pominięto multimedia"},
    {"pliki pominięto"},
    {"αρχείο παραλήφθηκε"},
    {"Εξαίρεση πολυμέσων"},
    {"המדיה לא נכללה"},
    {"מדיה הושמטה"},
    {"忽略多媒體檔"},
    {"省略多媒体文件"},
    {"미디어 파일 제외됨"},
    {"미디어 파일을 생략한 대화내용"},
    {"media utelämnat"},
    {"Media har utelämnats"},
    {"conținut media omis"},
    {"média elhagyva"},
    {"Hiányzó médiafájl"},
}));

// iOS: the whole first line (after the LRM) names the type. [export] for every language down to
// Arabic; [strings] for the rest and for Dutch.
constexpr auto kIosOmitted = make_table(std::to_array<TypedPhrase>({
    // English
    {"image omitted", MediaType::Image},
    {"video omitted", MediaType::Video},
    {"audio omitted", MediaType::Audio},
    {"GIF omitted", MediaType::Gif},
    {"sticker omitted", MediaType::Sticker},
    {"Contact card omitted", MediaType::Contact},
    {"document omitted", MediaType::Document},
    // German
    {"Bild weggelassen", MediaType::Image},
    {"Video weggelassen", MediaType::Video},
    {"Audio weggelassen", MediaType::Audio},
    {"GIF weggelassen", MediaType::Gif},
    {"Sticker weggelassen", MediaType::Sticker},
    {"Kontaktkarte ausgelassen", MediaType::Contact},
    {"Dokument weggelassen", MediaType::Document},
    // Spanish
    {"imagen omitida", MediaType::Image},
    {"Video omitido", MediaType::Video},
    {"audio omitido", MediaType::Audio},
    {"GIF omitido", MediaType::Gif},
    {"sticker omitido", MediaType::Sticker},
    {"Tarjeta de contacto omitida", MediaType::Contact},
    {"documento omitido", MediaType::Document},
    // French
    {"image absente", MediaType::Image},
    {"vidéo absente", MediaType::Video},
    {"audio omis", MediaType::Audio},
    {"GIF retiré", MediaType::Gif},
    {"sticker omis", MediaType::Sticker},
    {"Fiche contact manquante", MediaType::Contact},
    {"document manquant", MediaType::Document},
    // Italian
    {"immagine omessa", MediaType::Image},
    {"video omesso", MediaType::Video},
    {"audio omesso", MediaType::Audio},
    {"GIF esclusa", MediaType::Gif},
    {"sticker non incluso", MediaType::Sticker},
    {"Scheda contatto omessa", MediaType::Contact},
    {"documento omesso", MediaType::Document},
    // Portuguese (pt-PT)
    {"imagem não revelada", MediaType::Image},
    {"vídeo não revelado", MediaType::Video},
    {"ficheiro de áudio não revelado", MediaType::Audio},
    {"GIF não revelada", MediaType::Gif},
    {"sticker não revelado", MediaType::Sticker},
    {"Contacto não revelado", MediaType::Contact},
    {"documento não revelado", MediaType::Document},
    // Russian
    {"изображение отсутствует", MediaType::Image},
    {"видео отсутствует", MediaType::Video},
    {"аудиофайл отсутствует", MediaType::Audio},
    {"GIF отсутствует", MediaType::Gif},
    {"стикер не добавлен", MediaType::Sticker},
    {"Карточка контакта отсутствует", MediaType::Contact},
    {"документ отсутствует", MediaType::Document},
    // Ukrainian
    {"зображення відсутнє", MediaType::Image},
    {"відео відсутнє", MediaType::Video},
    {"аудіо відсутнє", MediaType::Audio},
    {"GIF-анімацію пропущено", MediaType::Gif},
    {"Наклейку не додано", MediaType::Sticker},
    {"Картка контакту відсутня", MediaType::Contact},
    {"документ пропущено", MediaType::Document},
    // Czech
    {"obrázek vynechán", MediaType::Image},
    {"video vynecháno", MediaType::Video},
    {"zvukový soubor vynechán", MediaType::Audio},
    {"GIF vynechán", MediaType::Gif},
    {"nálepka vynechána", MediaType::Sticker},
    {"Vizitka vynechána", MediaType::Contact},
    {"dokument vynechán", MediaType::Document},
    // Indonesian ("video tidak disertakan" etc.)
    {"gambar tidak disertakan", MediaType::Image},
    {"video tidak disertakan", MediaType::Video},
    {"audio tidak disertakan", MediaType::Audio},
    {"GIF tidak disertakan", MediaType::Gif},
    {"stiker tidak disertakan", MediaType::Sticker},
    {"Kartu kontak tidak disertakan", MediaType::Contact},
    {"dokumen tidak disertakan", MediaType::Document},
    // Hindi
    {"फ़ोटो हटाई गई", MediaType::Image},
    {"वीडियो छो\u095Cा गया", MediaType::Video},
    {"ऑडियो हटाई गयी", MediaType::Audio},
    {"GIF छो\u095Cा गया", MediaType::Gif},
    {"स्टिकर छो\u095Cा गया", MediaType::Sticker},
    {"कॉन्टैक्ट कार्ड छो\u095Cा गया", MediaType::Contact},
    {"डॉक्यूमेंट छो\u095Cा गया", MediaType::Document},
    // Hindi again with DDDHA decomposed (U+0921 U+093C): the export writes U+095C, but NFC
    // text (anything that went through a normalizer) has the pair.
    {"वीडियो छोड\u093Cा गया", MediaType::Video},
    {"GIF छोड\u093Cा गया", MediaType::Gif},
    {"स्टिकर छोड\u093Cा गया", MediaType::Sticker},
    {"कॉन्टैक्ट कार्ड छोड\u093Cा गया", MediaType::Contact},
    {"डॉक्यूमेंट छोड\u093Cा गया", MediaType::Document},
    // Japanese
    {"画像は含まれていません", MediaType::Image},
    {"ビデオは含まれていません", MediaType::Video},
    {"音声は含まれていません", MediaType::Audio},
    {"GIFは含まれていません", MediaType::Gif},
    {"スタンプは含まれていません", MediaType::Sticker},
    {"連絡先カードを省略", MediaType::Contact},
    {"ドキュメントは含まれていません", MediaType::Document},
    // Thai
    {"ไม่มีรูปภาพ", MediaType::Image},
    {"วิดีโอถูกลบ", MediaType::Video},
    {"ไม่มีไฟล์เสียง", MediaType::Audio},
    {"ละเว้น GIF", MediaType::Gif},
    {"ไม่มีสติกเกอร์", MediaType::Sticker},
    {"บัตรรายชื่อที่ละเว้น", MediaType::Contact},
    {"ละเว้นเอกสาร", MediaType::Document},
    // Vietnamese
    {"đã bỏ qua hình ảnh", MediaType::Image},
    {"đã bỏ video", MediaType::Video},
    {"bỏ qua tệp âm thanh", MediaType::Audio},
    {"Đã bỏ qua ảnh GIF", MediaType::Gif},
    {"đã bỏ sticker", MediaType::Sticker},
    {"Bỏ qua thẻ liên lạc", MediaType::Contact},
    {"đã bỏ qua tài liệu", MediaType::Document},
    // Arabic (RLM-prefixed)
    {"لم يتم إدراج الصورة", MediaType::Image},
    {"لم يتم إدراج الفيديوهات", MediaType::Video},
    {"لم يتم إدراج المقاطع الصوتية", MediaType::Audio},
    {"لم يتم إدراج صورة GIF", MediaType::Gif},
    {"تم حذف الملصقات", MediaType::Sticker},
    {"لم يتم إدراج بطاقة جهة اتصال", MediaType::Contact},
    {"لم يتم إدراج المستند", MediaType::Document},
    // Dutch [strings]
    {"afbeelding weggelaten", MediaType::Image},
    {"video weggelaten", MediaType::Video},
    {"audio weggelaten", MediaType::Audio},
    {"GIF weggelaten", MediaType::Gif},
    {"sticker weggelaten", MediaType::Sticker},
    {"Visitekaartje weggelaten", MediaType::Contact},
    {"document weggelaten", MediaType::Document},
    // Portuguese (pt-BR) [strings]
    {"imagem ocultada", MediaType::Image},
    {"vídeo omitido", MediaType::Video},
    {"áudio ocultado", MediaType::Audio},
    {"figurinha omitida", MediaType::Sticker},
    {"Cartão do contato omitido", MediaType::Contact},
    // Turkish [strings]
    {"görüntü dahil edilmedi", MediaType::Image},
    {"video dahil edilmedi", MediaType::Video},
    {"ses dahil edilmedi", MediaType::Audio},
    {"GIF dahil edilmedi", MediaType::Gif},
    {"Çıkartma dahil edilmedi", MediaType::Sticker},
    {"Kişi kartı dahil edilmedi", MediaType::Contact},
    {"belge dahil edilmedi", MediaType::Document},
    // Polish [strings]
    {"obraz pominięty", MediaType::Image},
    {"wideo pominięte", MediaType::Video},
    {"audio pominięte", MediaType::Audio},
    {"Plik GIF pominięty", MediaType::Gif},
    {"pominięto naklejkę", MediaType::Sticker},
    {"Pominięta wizytówka kontaktu", MediaType::Contact},
    {"dokument pominięty", MediaType::Document},
}));

// iOS documents keep their name before the marker: "NAME <LRM>document omitted",
// "NAME • <LRM>2 pages <LRM>document omitted". Same sources as kIosOmitted.
constexpr auto kDocumentOmitted = make_table(std::to_array<Phrase>({
    {"document omitted"},                // English
    {"Dokument weggelassen"},            // German
    {"documento omitido"},               // Spanish
    {"document manquant"},               // French
    {"documento omesso"},                // Italian
    {"documento não revelado"},          // Portuguese
    {"документ отсутствует"},            // Russian
    {"документ пропущено"},              // Ukrainian
    {"dokument vynechán"},               // Czech
    {"dokumen tidak disertakan"},        // Indonesian
    {"डॉक्यूमेंट छो\u095Cा गया"},            // Hindi (as exported)
    {"डॉक्यूमेंट छोड\u093Cा गया"},           // Hindi (NFC)
    {"ドキュメントは含まれていません"},  // Japanese
    {"ละเว้นเอกสาร"},                     // Thai
    {"đã bỏ qua tài liệu"},              // Vietnamese
    {"لم يتم إدراج المستند"},            // Arabic
    {"document weggelaten"},             // Dutch
}));

// ---------------------------------------------------------------------------------------------
// Attachments

// iOS "<LABEL: NAME>". [export] en, de (WhatsR), ar; [strings] the rest (Localizable key zQ+5d).
constexpr auto kIosAttachedLabels = make_table(std::to_array<Phrase>({
    {"attached"},      // English
    {"Anhang"},        // German
    {"المُرفق"},        // Arabic
    {"adjunto"},       // Spanish
    {"pièce jointe"},  // French
    {"anexo"},         // Portuguese
    {"anexado"},       // Portuguese
    {"allegato"},      // Italian
    {"прикреплено"},   // Russian
    {"додано"},        // Ukrainian
    {"příloha"},       // Czech
    {"bijgevoegd"},    // Dutch
    {"terlampir"},     // Indonesian
    {"dilampir"},      // Indonesian / Malay
    {"अटैच किया गया"},  // Hindi
    {"添付ファイル"},  // Japanese
    {"แนบ"},           // Thai
    {"đính kèm"},      // Vietnamese
    {"eklendi"},       // Turkish
    {"załączono"},     // Polish
    {"επισυνάφθηκε"},  // Greek
    {"מצורף"},         // Hebrew
    {"附件"},          // Chinese
    {"첨부됨"},        // Korean
    {"bifogat"},       // Swedish
    {"vedhæftet"},     // Danish
    {"vedlagt"},       // Norwegian
    {"liite"},         // Finnish
    {"príloha"},       // Slovak
    {"csatolva"},      // Hungarian
    {"atașare"},       // Romanian
    {"priloženo"},     // Slovenian
    {"adjunt"},        // Catalan
    {"پیوست"},         // Persian
}));

// Android "NAME (TEXT)". [export] en, de, nl, cs, ru; [peer] es "archivo adjunto"; [strings] the
// rest (strings.xml key email_file_attached).
constexpr auto kAndroidAttached = make_table(std::to_array<Phrase>({
    {"(file attached)"},        // English
    {"(Datei angehängt)"},      // German
    {"(bestand bijgevoegd)"},   // Dutch
    {"(soubor byl přiložen)"},  // Czech
    {"(файл добавлен)"},        // Russian
    {"(archivo adjunto)"},      // Spanish
    {"(archivo adjuntado)"},    // Spanish
    {"(fichier joint)"},        // French
    {"(arquivo anexado)"},      // Portuguese (pt-BR)
    {"(ficheiro anexado)"},     // Portuguese (pt-PT)
    {"(file allegato)"},        // Italian
    {"(файл додано)"},          // Ukrainian
    {"(file terlampir)"},       // Indonesian
    {"(फाइल अटैच कर दी गई है)"},  // Hindi
    {"(添付ファイル有り)"},     // Japanese
    {"(ファイル添付)"},         // Japanese [peer]
    {"(ไฟล์ที่แนบ)"},              // Thai
    {"(tệp đính kèm)"},         // Vietnamese
    {"(الملف مرفق)"},           // Arabic
    {"(dosya ekli)"},           // Turkish
    {"(załączony plik)"},       // Polish
    {"(συνημμένο αρχείο)"},     // Greek
    {"(קובץ מצורף)"},           // Hebrew
    {"(附件檔案)"},             // Chinese (Traditional)
    {"(文件附件)"},             // Chinese (Simplified)
    {"(파일 첨부됨)"},          // Korean
    {"(bifogad fil)"},          // Swedish
    {"(fil vedhæftet)"},        // Danish
    {"(vedlagt fil)"},          // Norwegian
    {"(liitetiedosto)"},        // Finnish
    {"(súbor pripojený)"},      // Slovak
    {"(fájl csatolva)"},        // Hungarian
    {"(fișier atașat)"},        // Romanian
    {"(fail dilampirkan)"},     // Malay
    {"(arxiu adjunt)"},         // Catalan
}));

// ---------------------------------------------------------------------------------------------
// Missed calls. [export] en, cs, nl, ru (Android); [strings] the rest (iOS keys A),w/ and PnA`x,
// Android missed_voice_call / video_missed_call).

constexpr auto kMissedCalls = make_table(std::to_array<CallPhrase>({
    // English
    {"Missed voice call", CallMedia::Voice},
    {"Missed video call", CallMedia::Video},
    {"Missed group voice call", CallMedia::Voice},
    {"Missed group video call", CallMedia::Video},
    // Spanish
    {"Llamada perdida", CallMedia::Voice},
    {"Llamada de voz perdida", CallMedia::Voice},
    {"Videollamada perdida", CallMedia::Video},
    // German
    {"Verpasster Sprachanruf", CallMedia::Voice},
    {"Verpasster Videoanruf", CallMedia::Video},
    // French
    {"Appel vocal manqué", CallMedia::Voice},
    {"Appel vidéo manqué", CallMedia::Video},
    // Portuguese
    {"Chamada de voz perdida", CallMedia::Voice},
    {"Chamada de vídeo perdida", CallMedia::Video},
    {"Videochamada perdida", CallMedia::Video},
    // Italian
    {"Chiamata vocale persa", CallMedia::Voice},
    {"Videochiamata persa", CallMedia::Video},
    // Russian
    {"Пропущенный аудиозвонок", CallMedia::Voice},
    {"Пропущенный видеозвонок", CallMedia::Video},
    // Dutch
    {"Gemiste spraakoproep", CallMedia::Voice},
    {"Gemist spraakgesprek", CallMedia::Voice},
    {"Gemiste video-oproep", CallMedia::Video},
    {"Gemist videogesprek", CallMedia::Video},
    // Ukrainian
    {"Пропущений аудіодзвінок", CallMedia::Voice},
    {"Пропущений відеодзвінок", CallMedia::Video},
    // Czech
    {"Zmeškaný hovor", CallMedia::Voice},
    {"Zmeškaný hlasový hovor", CallMedia::Voice},
    {"Zmeškaný videohovor", CallMedia::Video},
    // Indonesian
    {"Panggilan suara tak terjawab", CallMedia::Voice},
    {"Panggilan video tak terjawab", CallMedia::Video},
    // Hindi
    {"मिस्ड वॉइस कॉल", CallMedia::Voice},
    {"वॉइस कॉल मिस हुई", CallMedia::Voice},
    {"मिस्ड वीडियो कॉल", CallMedia::Video},
    // Japanese
    {"不在着信", CallMedia::Voice},
    {"音声通話不在着信", CallMedia::Voice},
    {"ビデオ通話不在着信", CallMedia::Video},
    // Thai
    {"สายที่ไม่ได้รับ", CallMedia::Voice},
    {"วิดีโอคอลที่ไม่ได้รับ", CallMedia::Video},
    {"สายโทรวิดีโอที่ไม่ได้รับ", CallMedia::Video},
    // Vietnamese
    {"Cuộc gọi nhỡ", CallMedia::Voice},
    {"Cuộc gọi nhỡ video", CallMedia::Video},
    // Arabic
    {"مكالمة صوتية فائتة", CallMedia::Voice},
    {"مكالمة فيديو فائتة", CallMedia::Video},
    // Turkish, Polish, Greek, Hebrew, Chinese, Korean, Swedish
    {"Cevapsız sesli arama", CallMedia::Voice},
    {"Cevapsız görüntülü arama", CallMedia::Video},
    {"Nieodebrane połączenie", CallMedia::Voice},
    {"Nieodebrane poł. głosowe", CallMedia::Voice},
    {"Nieodebrane poł. wideo", CallMedia::Video},
    {"Αναπάντητη φωνητική κλήση", CallMedia::Voice},
    {"Αναπάντητη βιντεοκλήση", CallMedia::Video},
    {"שיחה קולית שלא נענתה", CallMedia::Voice},
    {"שיחת וידאו שלא נענתה", CallMedia::Video},
    {"未接語音通話", CallMedia::Voice},
    {"未接语音通话", CallMedia::Voice},
    {"未接視像通話", CallMedia::Video},
    {"未接视频通话", CallMedia::Video},
    {"부재중 전화", CallMedia::Voice},
    {"부재중 영상통화", CallMedia::Video},
    {"Missat röstsamtal", CallMedia::Voice},
    {"Missat videosamtal", CallMedia::Video},
}));

// The iOS call line continues "Missed voice call. Tap to call back". [peer] WhatsR's tables.
constexpr auto kCallTails = make_table(std::to_array<Phrase>({
    {"Tap to call back"},
    {"Click to call back"},
}));

// ---------------------------------------------------------------------------------------------
// Locations

// The word before ": https://maps.google…". Any single word is accepted (exports in languages not
// listed use their own); the table is for the labels that contain a space and documents the rest.
// [export] en, de, nl, cs, ru and every iOS language of whats_json; [strings] the rest
// (Android email_location_message).
constexpr auto kLocationLabels = make_table(std::to_array<Phrase>({
    {"location"},         // English (Android lower case, iOS "Location")
    {"Standort"},         // German
    {"Ubicación"},        // Spanish
    {"Localisation"},     // French
    {"Localização"},      // Portuguese
    {"Posizione"},        // Italian
    {"Местоположение"},   // Russian
    {"locatie"},          // Dutch
    {"Розташування"},     // Ukrainian
    {"Poloha"},           // Czech
    {"Lokasi"},           // Indonesian
    {"लोकेशन"},            // Hindi
    {"位置情報"},         // Japanese
    {"ตำแหน่งที่ตั้ง"},        // Thai
    {"Vị trí"},           // Vietnamese
    {"موقع"},             // Arabic
    {"الموقع"},           // Arabic (Android)
    {"konum"},            // Turkish
    {"położenie"},        // Polish
    {"τοποθεσία"},        // Greek
    {"מיקום"},            // Hebrew
    {"位置"},             // Chinese
    {"위치"},             // Korean
    {"atrašanās vieta"},  // Latvian
    {"buvimo vieta"},     // Lithuanian
}));

// Android "live location shared". [export] en, de (WhatsR); [strings] the rest
// (email_live_location_message).
constexpr auto kLiveLocation = make_table(std::to_array<Phrase>({
    {"live location shared"},                 // English
    {"Live-Standort wird geteilt"},           // German
    {"ubicación en tiempo real compartida"},  // Spanish
    {"Localisation en direct partagée"},      // French
    {"localização atual compartilhada"},      // Portuguese (pt-BR)
    {"Está a partilhar a sua localização"},   // Portuguese (pt-PT)
    {"posizione attuale condivisa"},          // Italian
    {"Геоданные отправлены"},                 // Russian
    {"live locatie gedeeld"},                 // Dutch
    {"геодані надіслано"},                    // Ukrainian
    {"byla sdílena aktuální poloha"},         // Czech
    {"Lokasi terkini dibagikan"},             // Indonesian
    {"लाइव स्थान साझा किया गया"},              // Hindi
    {"ライブロケーション共有"},               // Japanese
    {"ตำแหน่งปัจจุบันถูกแบ่งปัน"},                   // Thai
    {"vị trí hiện thời được chia sẻ"},        // Vietnamese
    {"تمت مشاركة الموقع المباشر"},            // Arabic
    {"Mevcut konum paylaşıldı"},              // Turkish
    {"udostępniona transmisja położenia"},    // Polish
}));

constexpr std::string_view kMapsHost = "maps.google.";
constexpr std::array<std::string_view, 3> kFoursquare = {"https://foursquare.com/", "http://foursquare.com/",
                                                         "https://www.foursquare.com/"};

// ---------------------------------------------------------------------------------------------
// System notices

struct NoticeRule {
    std::string_view prefix;
    std::string_view then = {};  ///< must also occur after the prefix ("… with X changed")
    bool whole = false;          ///< the body (less a final stop) is exactly `prefix`
};

template <std::size_t N> constexpr std::array<NoticeRule, N> by_first_byte(std::array<NoticeRule, N> a)
{
    for (std::size_t i = 1; i < N; ++i)
        for (std::size_t j = i; j > 0 && static_cast<unsigned char>(a[j].prefix[0]) <
                                             static_cast<unsigned char>(a[j - 1].prefix[0]);
             --j)
            std::swap(a[j], a[j - 1]);
    return a;
}

// Notices recognised by their start. Matched byte for byte: WhatsApp writes them verbatim.
constexpr auto kNoticeRules = by_first_byte(std::to_array<NoticeRule>({
    // End-to-end notices. [export] every language here except the [strings] ones marked.
    // English, by era (2016, 2016 one-to-one, 2017, 2018+ incl. 2024's "Only people in…").
    {"Messages you send to this group are now secured with end-to-end encryption."},
    {"Messages you send to this chat and calls are now secured with end-to-end encryption."},
    {"Messages to this group are now secured with end-to-end encryption."},
    {"Messages and calls are end-to-end encrypted."},
    // English business chats.
    {"This business uses a secure service from Meta"},
    {"Los mensajes y las llamadas están cifrados de extremo a extremo."},               // Spanish
    {"Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt."},                        // German
    {"Les messages et les appels sont chiffrés de bout en bout."},                      // French
    {"As mensagens e chamadas são encriptadas ponto a ponto."},                         // Portuguese (pt-PT)
    {"As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta"},  // pt-BR [strings]
    {"I messaggi e le chiamate sono crittografati end-to-end."},                        // Italian
    {"Сообщения и звонки защищены сквозным шифрованием."},                              // Russian
    {"Berichten en oproepen worden end-to-end versleuteld."},                           // Dutch
    {"Berichten en gesprekken worden end-to-end versleuteld."},                         // Dutch [strings]
    {"Повідомлення й дзвінки захищено наскрізним шифруванням."},                        // Ukrainian
    {"Zprávy a hovory jsou opatřeny koncovým šifrováním."},                             // Czech (iOS)
    {"Zprávy a hovory jsou zabezpečeny koncovým šifrováním."},                          // Czech (Android)
    {"Pesan dan panggilan terenkripsi secara end-to-end."},                             // Indonesian
    {"मैसेजेस और कॉल्स एंड-टू-एंड एन्क्रिप्टेड हैं."},                                               // Hindi
    {"メッセージと通話はエンドツーエンド暗号化されています。"},                         // Japanese
    {"ข้อความและการโทรได้รับการเข้ารหัสจากต้นทางถึงปลายทาง"},                                  // Thai
    {"Tin nhắn và cuộc gọi được mã hóa đầu cuối."},                                     // Vietnamese
    {"الرسائل والمكالمات مشفرة تمامًا بين الطرفين"},                                     // Arabic
    {"Mesajlar ve aramalar uçtan uca şifrelidir."},                                     // Turkish [strings]
    {"Wiadomości i połączenia są w pełni zaszyfrowane."},                               // Polish [strings]
    {"Τα μηνύματα και οι κλήσεις κρυπτογραφούνται πλήρως."},                            // Greek [strings]
    {"ההודעות והשיחות מוצפנות מקצה-לקצה."},                                             // Hebrew [strings]
    {"訊息和通話經端對端加密。"},                        // Chinese (Traditional) [strings]
    {"消息和通话都进行端到端加密。"},                    // Chinese (Simplified) [strings]
    {"메시지 및 전화는 종단간 암호화되어 안전합니다."},  // Korean [strings]

    // "Your security code with X changed." [export] iOS, every language of whats_json;
    // [strings] nl, pt-BR, pl, el, he. Name-first languages (hi, ja, ko, tr) are in the infix tables.
    {"Your security code with ", " changed"},
    {"Cambió tu código de seguridad con "},
    {"Deine Sicherheitsnummer für ", " hat sich geändert"},
    {"Votre code de sécurité avec ", " a changé"},
    {"Il tuo codice di sicurezza con ", " è cambiato"},
    {"O seu código de segurança partilhado com ", " mudou"},
    {"Seu código de segurança com ", " mudou"},
    {"Ваш код безопасности с контактом ", " изменился"},
    {"Код безпеки з контактом ", " змінився"},
    {"Bezpečnostní kód mezi vámi a", " byl změněn"},
    {"Uw beveiligingscode voor ", " is gewijzigd"},
    {"Kode keamanan Anda dengan ", " telah berubah"},
    {"รหัสความปลอดภัยของคุณกับ ", " มีการเปลี่ยนแปลง"},
    {"Mã bảo mật của bạn với ", " đã thay đổi"},
    {"تغيّر رمز أمانك المُستخدَم مع "},
    {"Twój kod zabezpieczeń z użytkownikiem ", " zmienił się"},
    {"Ο κωδικός ασφαλείας σας με ", " άλλαξε"},
    {"קוד האבטחה עם ", " שונה"},

    // English notices about the user. [export] Android group chat, WhatsR, Pustur;
    // [strings] the block notices.
    {"You were added", {}, true},
    {"You're now an admin", {}, true},
    {"You left", {}, true},
    {"You joined using this group's invite link", {}, true},
    {"You created group \""},
    {"You created group \u201C"},
    {"You changed the subject "},
    {"You changed the group name "},
    {"You changed this group's icon"},
    {"You changed the group description"},
    {"You changed this group's settings "},
    {"You updated the message timer"},
    {"You turned on disappearing messages"},
    {"You turned off disappearing messages"},
    {"You blocked this contact"},
    {"You unblocked this contact"},
    // German notices about the user. [export] WhatsR.
    {"Du hast die Gruppe ", " erstellt"},
    {"Du hast den Gruppennamen ", " geändert"},
    {"Du hast das Gruppenbild geändert", {}, true},
}));

// Where the rules for each first byte start in kNoticeRules.
static_assert(kNoticeRules.size() < 256);
constexpr auto kNoticeRuleGroup = [] {
    std::array<std::uint8_t, 257> start{};
    for (const auto& r : kNoticeRules)
        ++start[static_cast<unsigned char>(r.prefix[0]) + 1U];
    for (std::size_t b = 1; b < start.size(); ++b)
        start[b] = static_cast<std::uint8_t>(start[b] + start[b - 1]);
    return start;
}();

// Notices that start with someone's name, found anywhere in a one-line body. Kept to phrases a
// person would not type. [export] Android group chat and the Football iOS export; [strings] the
// name-first security notices and the business notice. All but the CJK ones start with a space,
// so a body is scanned from space to space.
constexpr auto kSpaceInfixes = std::to_array<std::string_view>({
    " created group \"",
    " created group \u201C",
    " changed the subject from ",
    " changed the subject to ",
    " changed the group name ",
    " changed this group's icon",
    " changed the group description",
    " changed this group's settings to allow ",
    " joined using this group's invite link",
    " changed their phone number to a new number",
    " updated the message timer",
    " turned on disappearing messages",
    " turned off disappearing messages",
    " uses a secure service from Meta",
    " verwendet jetzt einen sicheren Service von Meta",  // German
    " hat das Gruppenbild geändert",                     // German
    " hat die Gruppenbeschreibung geändert",             // German
    " के लिए आपका सुरक्षा कोड बदल गया है",                   // Hindi
    " ile aranızdaki güvenlik kodu değişti",             // Turkish
});

constexpr auto kOtherInfixes = std::to_array<std::string_view>({
    "とのセキュリティコードが変更されました",  // Japanese
    "님과의 보안 코드가 변경되었습니다",       // Korean
});

// A 4096-bit filter on the three bytes after the space of each kSpaceInfixes needle: a body is
// scanned for spaces eight bytes at a time, each space costs one bit test, and the needles are
// compared only on a hit.
constexpr std::uint32_t three_bytes(const char* p)
{
    return static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(p[2])) << 16U;
}

constexpr std::size_t infix_slot(std::uint32_t w)
{
    return ((w * 2654435761U) >> 20U) & 4095U;
}

constexpr auto kInfixFilter = [] {
    std::array<std::uint64_t, 64> bits{};
    for (const auto n : kSpaceInfixes) {
        const auto slot = infix_slot(three_bytes(n.data() + 1));
        bits[slot / 64] |= std::uint64_t{1} << (slot % 64);
    }
    return bits;
}();

constexpr std::size_t kShortestSpaceInfix = [] {
    std::size_t m = kSpaceInfixes[0].size();
    for (const auto n : kSpaceInfixes)
        m = std::min(m, n.size());
    return m;
}();

constexpr std::size_t kMaxInfixBody = 1024;

// ---------------------------------------------------------------------------------------------
// Helpers shared by several markers

// After the '<' at `lt`: the offset just past "LABEL:" when LABEL is a known attachment label
// (spaces and marks around it allowed), npos otherwise.
std::size_t attached_label_end(std::string_view line, std::size_t lt)
{
    constexpr std::size_t kMaxLabelBytes = 48;
    std::size_t label_begin = lt + 1;
    while (label_begin < line.size()) {
        if (line[label_begin] == ' ')
            ++label_begin;
        else if (const auto n = mark_at(line, label_begin))
            label_begin += n;
        else
            break;
    }
    const auto window = line.substr(label_begin, std::min(kMaxLabelBytes, line.size() - label_begin));
    std::size_t colon = window.find(':');
    std::size_t colon_len = 1;
    if (const auto wide = window.find("\uFF1A"); wide < colon) {  // zh/ja full-width colon
        colon = wide;
        colon_len = 3;
    }
    if (colon == std::string_view::npos)
        return std::string_view::npos;
    if (find_folded(kIosAttachedLabels, trim(window.substr(0, colon))) == nullptr)
        return std::string_view::npos;
    return label_begin + colon + colon_len;
}

// The file name inside an attachment marker on the first line, or empty when there is none.
std::string_view attachment_name(std::string_view first_line)
{
    const std::string_view line = trim(first_line_of(first_line));
    if (line.size() < 3)
        return {};
    const char last = line.back();

    if (last == ')') {
        // Android "NAME (file attached)": the localized text has exactly one '(' at its start.
        const auto open = line.rfind('(');
        if (open == std::string_view::npos || open == 0 || line[open - 1] != ' ')
            return {};
        if (find_folded(kAndroidAttached, line.substr(open)) == nullptr)
            return {};
        return trim(line.substr(0, open));
    }
    if (last != '>')
        return {};

    // iOS 2015 "NAME <LRM attached>".
    constexpr std::string_view k2015 = "attached>";
    if (line.size() > k2015.size() && ends_with_folded(line, k2015)) {
        std::size_t at = line.size() - k2015.size();
        while (const auto n = mark_before(line, at))
            at -= n;
        if (at > 0 && line[at - 1] == '<') {
            const auto name = trim(line.substr(0, at - 1));
            if (!name.empty())
                return name;
        }
    }

    // iOS "<LABEL: NAME>". Take the last '<' that opens a known label, so a doubled marker
    // ("<attached: <attached: NAME>") still yields the name.
    std::size_t search = line.size() - 1;
    while (search > 0) {
        const auto lt = line.rfind('<', search - 1);
        if (lt == std::string_view::npos)
            break;
        search = lt;
        const auto name_begin = attached_label_end(line, lt);
        if (name_begin == std::string_view::npos)
            continue;
        if (name_begin >= line.size())
            return {};
        return trim(line.substr(name_begin, line.size() - 1 - name_begin));
    }
    return {};
}

bool all_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The kind word iOS puts after the sequence number or date ("PHOTO-", "GIF-", …).
std::optional<MediaType> ios_kind(std::string_view rest)
{
    constexpr std::array<std::pair<std::string_view, MediaType>, 5> kKinds = {{
        {"PHOTO-", MediaType::Image},
        {"VIDEO-", MediaType::Video},
        {"AUDIO-", MediaType::Audio},
        {"GIF-", MediaType::Gif},
        {"STICKER-", MediaType::Sticker},
    }};
    for (const auto& [word, type] : kKinds)
        if (rest.substr(0, word.size()) == word)
            return type;
    return std::nullopt;
}

MediaType type_from_extension(std::string_view name)
{
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || name.size() - dot - 1 > 7 || dot + 1 == name.size())
        return MediaType::Unknown;
    char buf[8] = {};
    const auto ext_len = name.size() - dot - 1;
    for (std::size_t i = 0; i < ext_len; ++i) {
        const char c = name[dot + 1 + i];
        buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    const std::string_view ext(buf, ext_len);
    struct Ext {
        std::string_view ext;
        MediaType type;
    };
    // WhatsApp records voice notes as Opus and sends stickers as WebP; shared music arrives as
    // MP3/M4A/AAC and photos as JPEG, so those extensions say more than their MIME family.
    constexpr std::array<Ext, 42> kExtensions = {{
        {"jpg", MediaType::Image},     {"jpeg", MediaType::Image},    {"png", MediaType::Image},
        {"heic", MediaType::Image},    {"heif", MediaType::Image},    {"bmp", MediaType::Image},
        {"tif", MediaType::Image},     {"tiff", MediaType::Image},    {"webp", MediaType::Sticker},
        {"gif", MediaType::Gif},       {"mp4", MediaType::Video},     {"mov", MediaType::Video},
        {"3gp", MediaType::Video},     {"m4v", MediaType::Video},     {"mkv", MediaType::Video},
        {"avi", MediaType::Video},     {"webm", MediaType::Video},    {"opus", MediaType::VoiceNote},
        {"mp3", MediaType::Audio},     {"m4a", MediaType::Audio},     {"aac", MediaType::Audio},
        {"wav", MediaType::Audio},     {"amr", MediaType::Audio},     {"ogg", MediaType::Audio},
        {"flac", MediaType::Audio},    {"vcf", MediaType::Contact},   {"pdf", MediaType::Document},
        {"doc", MediaType::Document},  {"docx", MediaType::Document}, {"xls", MediaType::Document},
        {"xlsx", MediaType::Document}, {"ppt", MediaType::Document},  {"pptx", MediaType::Document},
        {"txt", MediaType::Document},  {"rtf", MediaType::Document},  {"odt", MediaType::Document},
        {"ods", MediaType::Document},  {"csv", MediaType::Document},  {"zip", MediaType::Document},
        {"rar", MediaType::Document},  {"7z", MediaType::Document},   {"epub", MediaType::Document},
    }};
    for (const auto& e : kExtensions)
        if (e.ext == ext)
            return e.type;
    return MediaType::Unknown;
}

// "https://maps.google.com/?q=51.5021456,-0.127397": the two numbers of q=, as written.
void parse_coordinates(std::string_view url, Location& out)
{
    std::size_t q = url.find("?q=");
    if (q == std::string_view::npos)
        q = url.find("&q=");
    if (q == std::string_view::npos)
        return;
    const auto number = [&](std::size_t from) {
        std::size_t end = from;
        if (end < url.size() && (url[end] == '-' || url[end] == '+'))
            ++end;
        bool digit = false;
        while (end < url.size() && ((url[end] >= '0' && url[end] <= '9') || url[end] == '.')) {
            digit = digit || url[end] != '.';
            ++end;
        }
        return digit ? url.substr(from, end - from) : std::string_view{};
    };
    const auto lat = number(q + 3);
    if (lat.empty())
        return;
    const auto comma = q + 3 + lat.size();
    if (comma >= url.size() || url[comma] != ',')
        return;
    const auto lon = number(comma + 1);
    if (lon.empty())
        return;
    out.latitude = std::string(lat);
    out.longitude = std::string(lon);
}

bool is_foursquare_url(std::string_view s)
{
    return std::any_of(kFoursquare.begin(), kFoursquare.end(),
                       [&](std::string_view p) { return s.substr(0, p.size()) == p; });
}

bool has_space(std::string_view s)
{
    return !s.empty() && std::memchr(s.data(), ' ', s.size()) != nullptr;
}

// One-line location: "LABEL: https://maps.google.…" or iOS Foursquare "Name (Address): URL".
std::optional<Location> one_line_location(std::string_view line)
{
    std::size_t sep = line.find(": http");
    if (sep == std::string_view::npos || sep == 0)
        return std::nullopt;
    const std::string_view label = trim(line.substr(0, sep));
    const std::string_view url = line.substr(sep + 2);
    if (has_space(url) || label.empty())
        return std::nullopt;
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos)
        return std::nullopt;
    if (url.substr(scheme + 3, kMapsHost.size()) == kMapsHost) {
        constexpr std::size_t kMaxLabelBytes = 48;
        const bool known = find_folded(kLocationLabels, label) != nullptr;
        if (!known && (label.size() > kMaxLabelBytes || has_space(label)))
            return std::nullopt;
        Location loc;
        loc.url = std::string(url);
        parse_coordinates(url, loc);
        return loc;
    }
    if (is_foursquare_url(url) && label.back() == ')' && label.find(" (") != std::string_view::npos) {
        Location loc;
        loc.url = std::string(url);
        loc.venue = std::string(label);
        return loc;
    }
    return std::nullopt;
}

// Android Foursquare venue: "Name\nAddress\nURL".
std::optional<Location> three_line_location(std::string_view body)
{
    constexpr std::size_t kMaxLineBytes = 256;
    const auto nl1 = body.find('\n');
    const auto nl2 = body.find('\n', nl1 + 1);
    if (nl2 == std::string_view::npos || body.find('\n', nl2 + 1) != std::string_view::npos)
        return std::nullopt;
    const auto name = trim(body.substr(0, nl1));
    const auto address = trim(body.substr(nl1 + 1, nl2 - nl1 - 1));
    const auto url = trim(body.substr(nl2 + 1));
    if (name.empty() || address.empty() || name.size() > kMaxLineBytes || address.size() > kMaxLineBytes)
        return std::nullopt;
    if (!is_foursquare_url(url) || has_space(url) || name.find("://") != std::string_view::npos ||
        address.find("://") != std::string_view::npos)
        return std::nullopt;
    Location loc;
    loc.url = std::string(url);
    std::string venue;
    venue.reserve(name.size() + address.size() + 3);
    venue.append(name).append(" (").append(address).append(")");
    loc.venue = std::move(venue);
    return loc;
}

bool matches_notice_rule(std::string_view t)
{
    const auto first = static_cast<unsigned char>(t[0]);
    for (std::size_t k = kNoticeRuleGroup[first]; k < kNoticeRuleGroup[first + 1U]; ++k) {
        const auto& r = kNoticeRules[k];
        if (r.whole) {
            if (drop_final_stop(t) == r.prefix)
                return true;
            continue;
        }
        if (t.size() < r.prefix.size() || t.substr(0, r.prefix.size()) != r.prefix)
            continue;
        if (r.then.empty() || t.find(r.then, r.prefix.size()) != std::string_view::npos)
            return true;
    }
    return false;
}

bool space_infix_at(std::string_view t, std::size_t i)
{
    if (t.size() - i < kShortestSpaceInfix)
        return false;
    const auto slot = infix_slot(three_bytes(t.data() + i + 1));
    if (((kInfixFilter[slot / 64] >> (slot % 64)) & 1U) == 0)
        return false;
    const auto rest = t.substr(i);
    return std::any_of(kSpaceInfixes.begin(), kSpaceInfixes.end(),
                       [&](std::string_view needle) { return rest.substr(0, needle.size()) == needle; });
}

bool matches_notice_infix(std::string_view t)
{
    // Find the spaces eight bytes at a time (a zero byte of word ^ 0x20…20 is a space).
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
    for (std::size_t base = 0; base < t.size(); base += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, t.data() + base, std::min<std::size_t>(8, t.size() - base));
        if constexpr (std::endian::native == std::endian::big)
            word = __builtin_bswap64(word);
        const std::uint64_t x = word ^ (kOnes * ' ');
        std::uint64_t spaces = ~(((x & kLow7) + kLow7) | x | kLow7);
        while (spaces != 0) {
            const auto i = base + static_cast<std::size_t>(std::countr_zero(spaces)) / 8;
            if (i < t.size() && space_infix_at(t, i))
                return true;
            spaces &= spaces - 1;
        }
    }
    // find() looks for the needle's first byte with memchr, so non-CJK bodies pass quickly.
    return std::any_of(kOtherInfixes.begin(), kOtherInfixes.end(),
                       [&](std::string_view needle) { return t.find(needle) != std::string_view::npos; });
}

// The user-content markers that can start with LRM but are not notices.
bool is_user_content_marker(std::string_view body)
{
    const auto line = first_line_of(body);
    if (media_omitted(line) || !attachment_name(line).empty() || is_deleted_tombstone(body) ||
        missed_call(body) || location(body))
        return true;
    // An attachment marker whose name is missing or runs onto the next line (a damaged export)
    // is still media, not a notice.
    const auto t = trim(line);
    return !t.empty() && t[0] == '<' && attached_label_end(t, 0) != std::string_view::npos;
}

}  // namespace

// -------------------------------------------------------------------------------------------------

bool is_deleted_tombstone(std::string_view body)
{
    const auto t = trim(body);
    // The longest tombstone is well under 128 bytes; ordinary text is rejected by size alone.
    if (t.size() < 8 || t.size() > 128)
        return false;
    if (find_folded(kTombstones, drop_final_stop(t)) != nullptr)
        return true;
    return t.size() > kDeletedByAdminPrefix.size() &&
           t.substr(0, kDeletedByAdminPrefix.size()) == kDeletedByAdminPrefix && !has_newline(t);
}

std::size_t edited_marker_length(std::string_view body)
{
    std::size_t end = body.size();
    while (end > 0) {
        if (is_blank_byte(body[end - 1]))
            --end;
        else if (const auto n = mark_before(body, end))
            end -= n;
        else
            break;
    }
    if (end < 2 || body[end - 1] != '>')
        return 0;
    constexpr std::size_t kMaxMarkerBytes = 64;
    const auto window_begin = end > kMaxMarkerBytes ? end - kMaxMarkerBytes : 0;
    const auto lt = body.rfind('<', end - 2);
    if (lt == std::string_view::npos || lt < window_begin)
        return 0;
    std::string_view inner = body.substr(lt + 1, end - 1 - (lt + 1));
    if (!inner.empty() && inner.back() == '.')
        inner.remove_suffix(1);
    if (find_folded(kEdited, inner) == nullptr)
        return 0;
    // Android writes " <…>", iOS "<LRM><…>" after a space: take the marks and one space with it.
    std::size_t begin = lt;
    while (const auto n = mark_before(body, begin))
        begin -= n;
    if (begin > 0 && body[begin - 1] == ' ')
        --begin;
    while (const auto n = mark_before(body, begin))
        begin -= n;
    return body.size() - begin;
}

std::optional<MediaType> media_omitted(std::string_view first_line)
{
    const auto line = trim(first_line_of(first_line));
    if (line.size() < 3)
        return std::nullopt;
    if (line.front() == '<' && line.back() == '>') {
        const auto inner = trim(line.substr(1, line.size() - 2));
        if (const auto* e = find_folded(kAndroidOmitted, inner))
            return e->type;
        // chat-analytics lists iOS words in brackets ("<image omitted>") too.
        if (const auto* e = find_folded(kIosOmitted, inner))
            return e->type;
        return std::nullopt;
    }
    if (const auto* e = find_folded(kIosOmitted, line))
        return e->type;
    // A document keeps its name in front, always with LRM/RLM right before the phrase: look up
    // what follows the last LRM/RLM. Most lines have no 0xE2 byte at all and end here.
    std::size_t after_mark = std::string_view::npos;
    for (std::size_t from = 0; from < line.size();) {
        const auto* hit = static_cast<const char*>(std::memchr(line.data() + from, 0xE2, line.size() - from));
        if (hit == nullptr)
            break;
        const auto at = static_cast<std::size_t>(hit - line.data());
        if (is_bidi_mark_at(line, at))
            after_mark = at + 3;
        from = at + 1;
    }
    if (after_mark != std::string_view::npos &&
        find_folded(kDocumentOmitted, line.substr(after_mark)) != nullptr)
        return MediaType::Document;
    return std::nullopt;
}

std::optional<AttachmentMarker> attachment_marker(std::string_view first_line)
{
    const auto name = attachment_name(first_line);
    if (name.empty())
        return std::nullopt;
    AttachmentMarker marker;
    marker.name = std::string(name);
    marker.type = media_type_from_name(name);
    return marker;
}

MediaType media_type_from_name(std::string_view file_name)
{
    const auto name = trim(file_name);
    // iOS "00000035-PHOTO-2022-03-27-21-41-55.jpg".
    if (name.size() > 9 && name[8] == '-' && all_digits(name.substr(0, 8)))
        if (const auto t = ios_kind(name.substr(9)))
            return *t;
    // iOS 2015 "2015-08-04-PHOTO-00004762.jpg".
    if (name.size() > 11 && name[4] == '-' && name[7] == '-' && name[10] == '-' &&
        all_digits(name.substr(0, 4)) && all_digits(name.substr(5, 2)) && all_digits(name.substr(8, 2)))
        if (const auto t = ios_kind(name.substr(11)))
            return *t;
    // Android "IMG-20220323-WA0002.jpg".
    if (name.size() > 5 && name[3] == '-' && name[4] >= '0' && name[4] <= '9') {
        constexpr std::array<std::pair<std::string_view, MediaType>, 6> kPrefixes = {{
            {"IMG", MediaType::Image},
            {"VID", MediaType::Video},
            {"AUD", MediaType::Audio},
            {"PTT", MediaType::VoiceNote},
            {"STK", MediaType::Sticker},
            {"DOC", MediaType::Document},
        }};
        for (const auto& [prefix, type] : kPrefixes)
            if (name.substr(0, 3) == prefix)
                return type;
    }
    return type_from_extension(name);
}

std::optional<CallMedia> missed_call(std::string_view body)
{
    const auto t = trim(body);
    constexpr std::size_t kMaxCallBytes = 192;  // the longest phrase plus a localized tail
    if (t.size() < 6 || t.size() > kMaxCallBytes)
        return std::nullopt;
    if (const auto* e = find_folded(kMissedCalls, drop_final_stop(t)))
        return e->media;
    // iOS "Missed voice call. Tap to call back": only WhatsApp's own tail, or any tail when the
    // line carries WhatsApp's LRM.
    const auto longest = kMissedCalls.rows.back().text.size();
    const auto dot = t.substr(0, longest + 2).find(". ");
    if (dot == std::string_view::npos || has_newline(t))
        return std::nullopt;
    const auto* e = find_folded(kMissedCalls, t.substr(0, dot));
    if (e == nullptr)
        return std::nullopt;
    if (starts_with_bidi_mark(body) ||
        find_folded(kCallTails, drop_final_stop(trim(t.substr(dot + 2)))) != nullptr)
        return e->media;
    return std::nullopt;
}

std::optional<Location> location(std::string_view body)
{
    const auto t = trim(body);
    if (t.size() < 8)
        return std::nullopt;
    if (t.size() <= 96 && !has_newline(t) && find_folded(kLiveLocation, drop_final_stop(t)) != nullptr) {
        Location loc;
        loc.live = true;
        return loc;
    }
    // Every other form carries a URL; most bodies have none and stop here.
    if (t.find("://") == std::string_view::npos)
        return std::nullopt;
    if (!has_newline(t))
        return one_line_location(t);
    return three_line_location(t);
}

bool is_system_notice(std::string_view body, NoticeScope scope)
{
    // Only the tables decide. A leading LRM alone is not enough: real iOS exports carry user
    // messages that start with LRM (WhatsR's test phones: "\u200eNo idea, lets try it out!"),
    // and filing a person's words as a system notice would hide them from review.
    const auto t = trim(body);
    if (t.size() < 8)
        return false;
    if (matches_notice_rule(t))
        return true;
    if (t.size() > kMaxInfixBody || has_newline(t))
        return false;
    if (scope == NoticeScope::NameFirstOnlyAfterMark && !starts_with_bidi_mark(body))
        return false;
    return matches_notice_infix(t);
}

bool is_marked_generated_text(std::string_view body)
{
    return starts_with_bidi_mark(body) && !trim(body).empty() && !is_user_content_marker(body);
}

// ---------------------------------------------------------------------------------------------
// The gate: necessary conditions for any marker above, so that ordinary text — nearly every
// message — skips the tables. Each marker is either a phrase the body starts with (its first
// three bytes, folded, are in a filter built from every starting-phrase table), or it has a
// shape: a bidi mark (iOS writes one before every generated text), a first line or body ending
// in '>' or ')' (attachment, edited and Android omitted markers), a '<' that opens a marker the
// line does not close (damaged attachment markers), or a URL (locations, venues).
// The fuzz target checks that no marker function accepts a body the gate turns away.

namespace {

std::uint32_t gate_key(std::string_view t)
{
    // As filter_slot: ASCII folded, every non-ASCII byte alike (folding can change lead bytes).
    auto byte = [&](std::size_t i) -> std::uint32_t {
        if (i >= t.size())
            return 0;
        const auto b = static_cast<unsigned char>(t[i]);
        if (b >= 0x80)
            return 0x80;
        return (b >= 'A' && b <= 'Z') ? b + 32u : b;
    };
    return ((byte(0) * 131u + byte(1)) * 131u + byte(2)) % 32768u;
}

struct Gate {
    std::array<std::uint64_t, 512> bits{};
    void add(std::string_view phrase)
    {
        const auto k = gate_key(phrase);
        bits[k / 64] |= std::uint64_t{1} << (k % 64);
    }
    bool has(std::string_view t) const
    {
        const auto k = gate_key(t);
        return ((bits[k / 64] >> (k % 64)) & 1U) != 0;
    }
};

template <class T> void add_rows(Gate& g, const T& table)
{
    for (const auto& row : table.rows)
        g.add(row.text);
}

const Gate& starting_phrases()
{
    static const Gate gate = [] {
        Gate g;
        add_rows(g, kTombstones);
        add_rows(g, kAndroidOmitted);
        add_rows(g, kIosOmitted);
        add_rows(g, kDocumentOmitted);
        add_rows(g, kIosAttachedLabels);
        add_rows(g, kMissedCalls);
        add_rows(g, kLocationLabels);
        add_rows(g, kLiveLocation);
        add_rows(g, kEdited);
        for (const auto& rule : kNoticeRules)
            g.add(rule.prefix);
        g.add(kDeletedByAdminPrefix);
        return g;
    }();
    return gate;
}

bool has_bidi_mark(std::string_view s)
{
    for (std::size_t i = s.find('\xE2'); i != std::string_view::npos; i = s.find('\xE2', i + 1))
        if (is_bidi_mark_at(s, i))
            return true;
    return false;
}

// Last visible character (blanks, marks and a final '.' dropped) closes a bracket: '>' ')' or
// their full-width forms.
bool ends_with_closer(std::string_view s)
{
    s = trim(s);
    while (!s.empty() && s.back() == '.')
        s.remove_suffix(1);
    if (s.empty())
        return false;
    const char last = s.back();
    if (last == '>' || last == ')')
        return true;
    // Full-width ')' U+FF09 and '>' U+FF1E.
    const auto n = s.size();
    return n >= 3 && s[n - 3] == '\xEF' && s[n - 2] == '\xBC' && (s[n - 1] == '\x89' || s[n - 1] == '\x9E');
}

}  // namespace

bool may_be_marker_reference(std::string_view body)
{
    const auto t = trim(body);
    if (t.size() < 3)
        return true;  // too short to judge cheaply; the tables are quick on it
    if (starting_phrases().has(t))
        return true;
    const auto nl = body.find('\n');
    const auto first_line = body.substr(0, nl);
    if (has_bidi_mark(first_line) || ends_with_closer(first_line))
        return true;
    if (first_line.find('<') != std::string_view::npos)
        return true;  // a marker opened but not closed on this line: mentions_attachment_label
    if (nl != std::string_view::npos && ends_with_closer(body))
        return true;
    return body.find("://") != std::string_view::npos;
}

namespace {

// What may_be_marker looks for inside a body, found in one pass: the reference searches once
// per shape, and those five searches were most of its cost.
struct Shapes {
    std::size_t newline = std::string_view::npos;  // the first '\n'
    bool found = false;  // a bidi mark or a '<' on the first line, or "://" anywhere
};

// Looks at the bytes of body at offset base + each set bit of `mask` ('\n', 0xE2, '<', ':').
// False when a shape was found (the scan can stop).
bool look_at(std::string_view body, std::size_t base, unsigned mask, Shapes& out)
{
    while (mask != 0) {
        const std::size_t i = base + static_cast<std::size_t>(std::countr_zero(mask));
        mask &= mask - 1;
        const char c = body[i];
        const bool first_line = out.newline == std::string_view::npos;
        if (c == '\n') {
            if (first_line)
                out.newline = i;
        } else if (c == '<') {
            out.found = first_line;
        } else if (c == ':') {
            out.found = body.substr(i, 3) == "://";
        } else {
            // A bidi mark's two other bytes are not '\n', so one that starts on the first line
            // also ends there.
            out.found = first_line && is_bidi_mark_at(body, i);
        }
        if (out.found)
            return false;
    }
    return true;
}

Shapes find_shapes(std::string_view body)
{
    Shapes shapes;
    const std::size_t n = body.size();
#if defined(__SSE2__)
    auto mask_of = [](const char* p) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('<'))),
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE2)))));
        return static_cast<unsigned>(_mm_movemask_epi8(hit));
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
        if (const unsigned m = mask_of(body.data() + i); m != 0 && !look_at(body, i, m, shapes))
            return shapes;
    if (i < n) {
        char tail[16] = {};  // zero is none of the bytes looked for
        std::memcpy(tail, body.data() + i, n - i);
        if (const unsigned m = mask_of(tail); m != 0)
            look_at(body, i, m, shapes);
    }
#else
    for (std::size_t i = 0; i < n; ++i) {
        const char c = body[i];
        if ((c == '\n' || c == '<' || c == ':' || c == '\xE2') && !look_at(body, i, 1, shapes))
            break;
    }
#endif
    return shapes;
}

}  // namespace

bool may_be_marker(std::string_view body)
{
    const auto t = trim(body);
    if (t.size() < 3)
        return true;  // too short to judge cheaply; the tables are quick on it
    if (starting_phrases().has(t))
        return true;
    const Shapes shapes = find_shapes(body);
    if (shapes.found)
        return true;
    if (ends_with_closer(body.substr(0, shapes.newline)))
        return true;
    return shapes.newline != std::string_view::npos && ends_with_closer(body);
}

bool mentions_attachment_label(std::string_view line)
{
    for (std::size_t lt = line.find('<'); lt != std::string_view::npos; lt = line.find('<', lt + 1)) {
        std::size_t i = lt + 1;
        while (i < line.size() && (line[i] == ' ' || mark_at(line, i) != 0))
            i += line[i] == ' ' ? 1 : mark_at(line, i);
        const auto rest = line.substr(i);
        for (const auto& row : kIosAttachedLabels.rows) {
            if (rest.size() < row.text.size() || !equal_folded(rest.substr(0, row.text.size()), row.text))
                continue;
            auto after = rest.substr(row.text.size());
            while (!after.empty() && after.front() == ' ')
                after.remove_prefix(1);
            if (after.starts_with(":") || after.starts_with("\xEF\xBC\x9A"))  // ':' or full-width '：'
                return true;
        }
    }
    return false;
}

}  // namespace cv::chat_export::detail

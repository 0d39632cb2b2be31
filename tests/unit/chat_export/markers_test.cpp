#include "sources/chat_export/detail/markers.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

// Marker strings below are quoted from the public corpus (../shared/corpus): whats_json's scripted
// chat exported in 15 iOS UI languages (the bodies after "Elon Musk: " / "Dmitry S: "), its
// Android exports (en, cs, ru, nl), WhatsR's en/de test phones and Pustur's fixtures. Strings
// from WhatsApp's string tables and peers' lists are marked as such.

namespace cv::chat_export::detail {
namespace {

struct Case {
    const char* lang;
    std::string_view body;
};

// Ordinary user text that must never be read as a marker or a notice.
const std::vector<std::string_view>& ordinary_texts()
{
    static const std::vector<std::string_view> texts = {
        "Hello World",
        "Hello",
        "Lorem ipsum : dolor sit amet.",
        "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero.",
        "https://github.com/JuKo007",
        "Works! But does it also recognize multiple links? https://github.com/JuKo007 "
        "https://github.com/JuKo007",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "alright :) :D",
        "Cool right? Whenever a file can't be reproduced via <img>, <video> or <audio> it becomes "
        "downloadable like that.",
        "(That's the old chat example BTW 👀)",
        "This message is reply to another",
        "Deeted message above",
        "Viewed once only image",
        "Hey, I got a notification that our security code changed. Did you get a new phone?",
        "Your security code with the bank is 1234",
        "Messages and calls",
        "POLL:\nWhen can we meet?\nOPTION: Thursday 15 evening (2 votes)",
        "Так ночью ж😂",
        "Пётр,  ждём! Развязки",
        "こんにちは",
        "الشوبينج مستنيك\nمنتجاتك المفضلة لسه موجودة",
        "👩🏻‍⚖️",
        "😊",
        "m",
        "",
    };
    return texts;
}

// ---------------------------------------------------------------------------------------------
// is_deleted_tombstone

const Case kIosDeletedByOthers[] = {
    {"en", "\u200EThis message was deleted."},
    {"es", "\u200ESe eliminó este mensaje."},
    {"de", "\u200EDiese Nachricht wurde gelöscht."},
    {"fr", "\u200ECe message a été supprimé."},
    {"pt", "\u200EEsta mensagem foi apagada."},
    {"it", "\u200EQuesto messaggio è stato eliminato."},
    {"ru", "\u200EДанное сообщение удалено."},
    {"uk", "\u200EЦе повідомлення було видалено."},
    {"cs", "\u200ETato zpráva byla smazána."},
    {"id", "\u200EPesan ini dihapus."},
    {"hi", "\u200Eयह मैसेज डिलीट कर दिया गया है."},
    {"ja", "\u200Eこのメッセージは削除されました。"},
    {"th", "\u200Eข้อความนี้ถูกลบแล้ว"},
    {"vi", "\u200ETin nhắn này đã bị xóa."},
    {"ar", "\u200Fتم حذف هذه الرسالة."},
};

const Case kIosDeletedByYou[] = {
    {"en", "\u200EYou deleted this message."},
    {"es", "\u200EEliminaste este mensaje."},
    {"de", "\u200EDu hast diese Nachricht gelöscht."},
    {"fr", "\u200EVous avez supprimé ce message."},
    {"pt", "\u200EApagou esta mensagem."},
    {"it", "\u200EHai eliminato questo messaggio."},
    {"ru", "\u200EВы удалили данное сообщение."},
    {"uk", "\u200EВи видалили це повідомлення."},
    {"cs", "\u200ETuto zprávu jste smazal/a."},
    {"id", "\u200EAnda menghapus pesan ini."},
    {"hi", "\u200Eआपने यह मैसेज डिलीट किया."},
    {"ja", "\u200Eこのメッセージを削除しました。"},
    {"th", "\u200Eคุณได้ลบข้อความนี้"},
    {"vi", "\u200EBạn đã xoá tin nhắn này."},
    {"ar", "\u200Fلقد حذَفت هذه الرسالة."},
};

TEST(DeletedTombstone, IosEveryLanguageWithLrmAndStop)
{
    for (const auto& c : kIosDeletedByOthers)
        EXPECT_TRUE(is_deleted_tombstone(c.body)) << c.lang << ": " << c.body;
    for (const auto& c : kIosDeletedByYou)
        EXPECT_TRUE(is_deleted_tombstone(c.body)) << c.lang << ": " << c.body;
}

TEST(DeletedTombstone, AndroidWithoutLrmOrStop)
{
    // [export] whats_json's Android exports (en, ru, nl, cs; cs keeps the full stop).
    for (const std::string_view body : {
             "This message was deleted",
             "You deleted this message",
             "Данное сообщение удалено",
             "Вы удалили данное сообщение",
             "Dit bericht is verwijderd",
             "U hebt dit bericht verwijderd",
             "Tato zpráva byla odstraněna.",
             "Tuto zprávu jste odstranil/a.",
         })
        EXPECT_TRUE(is_deleted_tombstone(body)) << body;
    // [strings] older Android and pt-BR forms.
    EXPECT_TRUE(is_deleted_tombstone("Este mensaje fue eliminado"));
    EXPECT_TRUE(is_deleted_tombstone("Você apagou esta mensagem"));
    EXPECT_TRUE(is_deleted_tombstone("Tin nhắn này đã bị xoá"));
}

TEST(DeletedTombstone, ToleratesInvisibleMarksAndOptionalStop)
{
    EXPECT_TRUE(is_deleted_tombstone("\u200EThis message was deleted"));
    EXPECT_TRUE(is_deleted_tombstone("This message was deleted."));
    EXPECT_TRUE(is_deleted_tombstone("\uFEFF\u200E\u200EThis message was deleted.\u200E"));
    EXPECT_TRUE(is_deleted_tombstone("\u00A0Diese Nachricht wurde gelöscht\u00A0"));
    EXPECT_TRUE(is_deleted_tombstone("\u202AYou deleted this message\u202C\r"));
    EXPECT_TRUE(is_deleted_tombstone("\u200Fتم حذف هذه الرسالة"));
    EXPECT_TRUE(is_deleted_tombstone("このメッセージは削除されました"));
    EXPECT_TRUE(is_deleted_tombstone("this message was deleted"));
}

TEST(DeletedTombstone, AdminForms)
{
    // [strings] iOS.
    EXPECT_TRUE(is_deleted_tombstone("\u200EThis message was deleted by an admin."));
    EXPECT_TRUE(is_deleted_tombstone("\u200EThis message was deleted by admin Dmitry S."));
    EXPECT_TRUE(is_deleted_tombstone("You deleted this message as admin"));
    EXPECT_FALSE(is_deleted_tombstone("This message was deleted by admin Dmitry\nand more text"));
}

TEST(DeletedTombstone, RejectsOrdinaryTextAndOtherMarkers)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(is_deleted_tombstone(body)) << body;
    for (const std::string_view body : {
             "This message was deleted by mistake, sorry",
             "I deleted this message",
             "This message was",
             "This message was deleted..",
             "deleted",
             "\u200E",
             "\u200E\u200E.",
             "null",
             "\u200Eimage omitted",
             "<Media omitted>",
             "Missed voice call",
             "\u200ELocation: https://maps.google.com/?q=51.5021456,-0.127397",
         })
        EXPECT_FALSE(is_deleted_tombstone(body)) << body;
}

// ---------------------------------------------------------------------------------------------
// edited_marker_length

TEST(EditedMarker, AndroidSpaceBeforeMarker)
{
    // The Android form quoted in koftezz/whatsapp-chat-analyzer #18.
    const std::string text = "sample message";
    const std::string marker = " <This message was edited>";
    EXPECT_EQ(edited_marker_length(text + marker), marker.size());
    EXPECT_EQ(edited_marker_length("<This message was edited>"),
              std::string_view("<This message was edited>").size());
}

TEST(EditedMarker, IosLrmBeforeMarker)
{
    const std::string text = "Moved to 3pm";
    const std::string marker = " \u200E<This message was edited>";
    EXPECT_EQ(edited_marker_length(text + marker), marker.size());
    // A final stop inside the brackets and trailing marks or CR after them belong to the marker.
    const std::string marker2 = " \u200E<This message was edited.>\u200E\r";
    EXPECT_EQ(edited_marker_length(text + marker2), marker2.size());
}

TEST(EditedMarker, Localized)
{
    // [peer] / brief: no licensed export carries these; see markers.cpp.
    for (const std::string_view marker : {
             " <Se editó este mensaje.>",
             " <Diese Nachricht wurde bearbeitet>",
             " <Diese Nachricht wurde bearbeitet.>",
             " <Ce message a été modifié>",
             " <Esta mensagem foi editada>",
             " <Questo messaggio è stato modificato>",
             " <Сообщение изменено>",
             " <Dit bericht is bewerkt>",
             " <this message was edited>",
         }) {
        const std::string body = "Hallo" + std::string(marker);
        EXPECT_EQ(edited_marker_length(body), marker.size()) << marker;
    }
}

TEST(EditedMarker, MultiLineBodyEndsWithMarker)
{
    const std::string body = "Agenda:\n1. budget\n2. hiring <This message was edited>";
    EXPECT_EQ(edited_marker_length(body), std::string_view(" <This message was edited>").size());
}

TEST(EditedMarker, RejectsOrdinaryTextAndOtherBrackets)
{
    for (const auto body : ordinary_texts())
        EXPECT_EQ(edited_marker_length(body), 0U) << body;
    for (const std::string_view body : {
             "a < b > c",
             "<b>bold</b>",
             "<Media omitted>",
             "\u200E<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
             "I wrote <This message was edited> yesterday",
             "<This message was edited",
             "This message was edited>",
             ">",
             "<>",
             "\u200E>",
         })
        EXPECT_EQ(edited_marker_length(body), 0U) << body;
}

// ---------------------------------------------------------------------------------------------
// media_omitted

const Case kIosImage[] = {
    {"en", "\u200Eimage omitted"},
    {"es", "\u200Eimagen omitida"},
    {"de", "\u200EBild weggelassen"},
    {"fr", "\u200Eimage absente"},
    {"pt", "\u200Eimagem não revelada"},
    {"it", "\u200Eimmagine omessa"},
    {"ru", "\u200Eизображение отсутствует"},
    {"uk", "\u200Eзображення відсутнє"},
    {"cs", "\u200Eobrázek vynechán"},
    {"id", "\u200Egambar tidak disertakan"},
    {"hi", "\u200Eफ़ोटो हटाई गई"},
    {"ja", "\u200E画像は含まれていません"},
    {"th", "\u200Eไม่มีรูปภาพ"},
    {"vi", "\u200Eđã bỏ qua hình ảnh"},
    {"ar", "\u200Fلم يتم إدراج الصورة"},
};
const Case kIosVideo[] = {
    {"en", "\u200Evideo omitted"},
    {"es", "\u200EVideo omitido"},
    {"de", "\u200EVideo weggelassen"},
    {"fr", "\u200Evidéo absente"},
    {"pt", "\u200Evídeo não revelado"},
    {"it", "\u200Evideo omesso"},
    {"ru", "\u200Eвидео отсутствует"},
    {"uk", "\u200Eвідео відсутнє"},
    {"cs", "\u200Evideo vynecháno"},
    {"id", "\u200Evideo tidak disertakan"},
    {"hi", "\u200Eवीडियो छो\u095Cा गया"},
    {"ja", "\u200Eビデオは含まれていません"},
    {"th", "\u200Eวิดีโอถูกลบ"},
    {"vi", "\u200Eđã bỏ video"},
    {"ar", "\u200Fلم يتم إدراج الفيديوهات"},
};
const Case kIosAudio[] = {
    {"en", "\u200Eaudio omitted"},
    {"es", "\u200Eaudio omitido"},
    {"de", "\u200EAudio weggelassen"},
    {"fr", "\u200Eaudio omis"},
    {"pt", "\u200Eficheiro de áudio não revelado"},
    {"it", "\u200Eaudio omesso"},
    {"ru", "\u200Eаудиофайл отсутствует"},
    {"uk", "\u200Eаудіо відсутнє"},
    {"cs", "\u200Ezvukový soubor vynechán"},
    {"id", "\u200Eaudio tidak disertakan"},
    {"hi", "\u200Eऑडियो हटाई गयी"},
    {"ja", "\u200E音声は含まれていません"},
    {"th", "\u200Eไม่มีไฟล์เสียง"},
    {"vi", "\u200Ebỏ qua tệp âm thanh"},
    {"ar", "\u200Fلم يتم إدراج المقاطع الصوتية"},
};
const Case kIosContact[] = {
    {"en", "\u200EContact card omitted"},
    {"es", "\u200ETarjeta de contacto omitida"},
    {"de", "\u200EKontaktkarte ausgelassen"},
    {"fr", "\u200EFiche contact manquante"},
    {"pt", "\u200EContacto não revelado"},
    {"it", "\u200EScheda contatto omessa"},
    {"ru", "\u200EКарточка контакта отсутствует"},
    {"uk", "\u200EКартка контакту відсутня"},
    {"cs", "\u200EVizitka vynechána"},
    {"id", "\u200EKartu kontak tidak disertakan"},
    {"hi", "\u200Eकॉन्टैक्ट कार्ड छो\u095Cा गया"},
    {"ja", "\u200E連絡先カードを省略"},
    {"th", "\u200Eบัตรรายชื่อที่ละเว้น"},
    {"vi", "\u200EBỏ qua thẻ liên lạc"},
    {"ar", "\u200Fلم يتم إدراج بطاقة جهة اتصال"},
};
const Case kIosSticker[] = {
    {"en", "\u200Esticker omitted"},      {"es", "\u200Esticker omitido"},
    {"de", "\u200ESticker weggelassen"},  {"fr", "\u200Esticker omis"},
    {"pt", "\u200Esticker não revelado"}, {"it", "\u200Esticker non incluso"},
    {"ru", "\u200Eстикер не добавлен"},   {"uk", "\u200EНаклейку не додано"},
    {"cs", "\u200Enálepka vynechána"},    {"id", "\u200Estiker tidak disertakan"},
    {"hi", "\u200Eस्टिकर छो\u095Cा गया"},  {"ja", "\u200Eスタンプは含まれていません"},
    {"th", "\u200Eไม่มีสติกเกอร์"},           {"vi", "\u200Eđã bỏ sticker"},
    {"ar", "\u200Fتم حذف الملصقات"},
};
const Case kIosGif[] = {
    {"en", "\u200EGIF omitted"},
    {"es", "\u200EGIF omitido"},
    {"de", "\u200EGIF weggelassen"},
    {"fr", "\u200EGIF retiré"},
    {"pt", "\u200EGIF não revelada"},
    {"it", "\u200EGIF esclusa"},
    {"ru", "\u200EGIF отсутствует"},
    {"uk", "\u200EGIF-анімацію пропущено"},
    {"cs", "\u200EGIF vynechán"},
    {"id", "\u200EGIF tidak disertakan"},
    {"hi", "\u200EGIF छो\u095Cा गया"},
    {"ja", "\u200EGIFは含まれていません"},
    {"th", "\u200Eละเว้น GIF"},
    {"vi", "\u200EĐã bỏ qua ảnh GIF"},
    {"ar", "\u200Fلم يتم إدراج صورة GIF"},
};
const Case kIosDocument[] = {
    {"en", "Some file.txt \u200Edocument omitted"},
    {"es", "Some file.txt \u200Edocumento omitido"},
    {"de", "Some file.txt \u200EDokument weggelassen"},
    {"fr", "Some file.txt \u200Edocument manquant"},
    {"pt", "Some file.txt \u200Edocumento não revelado"},
    {"it", "Some file.txt \u200Edocumento omesso"},
    {"ru", "Some file.txt \u200Eдокумент отсутствует"},
    {"uk", "Some file.txt \u200Eдокумент пропущено"},
    {"cs", "Some file.txt \u200Edokument vynechán"},
    {"id", "Some file.txt \u200Edokumen tidak disertakan"},
    {"hi", "Some file.txt \u200Eडॉक्यूमेंट छो\u095Cा गया"},
    {"ja", "Some file.txt \u200Eドキュメントは含まれていません"},
    {"th", "Some file.txt \u200Eละเว้นเอกสาร"},
    {"vi", "Some file.txt \u200Eđã bỏ qua tài liệu"},
    {"ar", "Some file.txt \u200Fلم يتم إدراج المستند"},
    {"en", "Resume-Dmitry-Starkov.pdf • \u200E2 pages \u200Edocument omitted"},
    {"es", "Resume-Dmitry-Starkov.pdf • \u200E2 páginas \u200Edocumento omitido"},
    {"de", "Resume-Dmitry-Starkov.pdf • \u200E2 Seiten \u200EDokument weggelassen"},
    {"fr", "Resume-Dmitry-Starkov.pdf • \u200E2 pages \u200Edocument manquant"},
    {"pt", "Resume-Dmitry-Starkov.pdf • \u200E2 páginas \u200Edocumento não revelado"},
    {"it", "Resume-Dmitry-Starkov.pdf • \u200E2 pagine \u200Edocumento omesso"},
    {"ru", "Resume-Dmitry-Starkov.pdf • \u200E2 страницы \u200Eдокумент отсутствует"},
    {"uk", "Resume-Dmitry-Starkov.pdf • \u200E2 сторінки \u200Eдокумент пропущено"},
    {"cs", "Resume-Dmitry-Starkov.pdf • \u200E2 strany \u200Edokument vynechán"},
    {"id", "Resume-Dmitry-Starkov.pdf • \u200E2 halaman \u200Edokumen tidak disertakan"},
    {"hi", "Resume-Dmitry-Starkov.pdf • \u200E2 पन्ने \u200Eडॉक्यूमेंट छो\u095Cा गया"},
    {"ja", "Resume-Dmitry-Starkov.pdf • \u200Eページ数: 2 \u200Eドキュメントは含まれていません"},
    {"th", "Resume-Dmitry-Starkov.pdf • \u200E2 หน้า \u200Eละเว้นเอกสาร"},
    {"vi", "Resume-Dmitry-Starkov.pdf • \u200E2 trang \u200Eđã bỏ qua tài liệu"},
    {"ar", "Resume-Dmitry-Starkov.pdf • \u200Fصفحتان 2 \u200Fلم يتم إدراج المستند"},
};

TEST(MediaOmitted, IosEveryLanguageAndType)
{
    const auto check = [](const auto& cases, MediaType type) {
        for (const Case& c : cases) {
            const auto got = media_omitted(c.body);
            ASSERT_TRUE(got.has_value()) << c.lang << ": " << c.body;
            EXPECT_EQ(*got, type) << c.lang << ": " << c.body;
        }
    };
    check(kIosImage, MediaType::Image);
    check(kIosVideo, MediaType::Video);
    check(kIosAudio, MediaType::Audio);
    check(kIosContact, MediaType::Contact);
    check(kIosSticker, MediaType::Sticker);
    check(kIosGif, MediaType::Gif);
    check(kIosDocument, MediaType::Document);
}

TEST(MediaOmitted, IosVariants)
{
    // WhatsR's hand-edited iOS files lost the LRM; the Arabic media export has a space first.
    EXPECT_EQ(media_omitted("image omitted"), MediaType::Image);
    EXPECT_EQ(media_omitted("Bild weggelassen"), MediaType::Image);
    EXPECT_EQ(media_omitted(" \u200Fلم يتم إدراج الصورة"), MediaType::Image);
    EXPECT_EQ(media_omitted("\u200Edocument omitted"), MediaType::Document);
    // Hindi with DDDHA as U+095C (as exported) and as the NFC pair.
    EXPECT_EQ(media_omitted("\u200Eवीडियो छो\u095Cा गया"), MediaType::Video);
    EXPECT_EQ(media_omitted("\u200Eवीडियो छोड\u093Cा गया"), MediaType::Video);
    // [strings] Dutch, Turkish, Polish.
    EXPECT_EQ(media_omitted("\u200Eafbeelding weggelaten"), MediaType::Image);
    EXPECT_EQ(media_omitted("\u200EÇıkartma dahil edilmedi"), MediaType::Sticker);
    EXPECT_EQ(media_omitted("\u200Edokument pominięty"), MediaType::Document);
}

TEST(MediaOmitted, AndroidPlaceholders)
{
    for (const std::string_view line : {
             "<Media omitted>",          // en [export]
             "<media omitted>",          // en, chat-analytics sample
             "<MEDIA OMITTED>",          // any case
             "<Medien ausgeschlossen>",  // de [export] WhatsR
             "<Media weggelaten>",       // nl [export]
             "<Média vynechány>",        // cs [export]
             "< Média vynechána >",      // cs [peer], spaces inside
             "<Без медиафайлов>",        // ru [export]
             "<без медиафайлов>",        // ru, lower case
             "<Archivo omitido>",        // es [peer]
             "<Multimedia omitido>",     // es [peer]
             "<Médias omis>",            // fr [peer]
             "<Mídia omitida>",          // pt [peer]
             "<Media omessi>",           // it [peer]
             "<メディアなし>",           // ja [peer]
             "<Медіа пропущено>",        // uk [peer]
             "\u200E<Media omitted>\u200E",
         }) {
        const auto got = media_omitted(line);
        ASSERT_TRUE(got.has_value()) << line;
        EXPECT_EQ(*got, MediaType::Unknown) << line;
    }
    EXPECT_EQ(media_omitted("<Video message omitted>"), MediaType::Video);
    EXPECT_EQ(media_omitted("<image omitted>"), MediaType::Image);
}

TEST(MediaOmitted, ReadsOnlyTheFirstLine)
{
    // The caption follows on the next line; a caller may pass the whole body.
    EXPECT_EQ(media_omitted("<Media omitted>\nCaption"), MediaType::Unknown);
    EXPECT_EQ(media_omitted("<Media weggelaten>\nImage with caption"), MediaType::Unknown);
    EXPECT_FALSE(media_omitted("Caption\n<Media omitted>"));
}

TEST(MediaOmitted, RejectsOrdinaryTextAndOtherMarkers)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(media_omitted(body)) << body;
    for (const std::string_view line : {
             "I omitted the image",
             "image omitted from the report",
             "the image omitted",
             "Some file.txt document omitted",  // no LRM before the phrase: user text
             "<b>",
             "<This message was edited>",
             "\u200E<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
             "IMG-20220323-WA0002.jpg (file attached)",
             "\u200EYou deleted this message.",
             "<>",
             "< >",
             "\u200E",
         })
        EXPECT_FALSE(media_omitted(line)) << line;
}

// ---------------------------------------------------------------------------------------------
// attachment_marker

void expect_attachment(std::string_view line, std::string_view name, MediaType type)
{
    const auto got = attachment_marker(line);
    ASSERT_TRUE(got.has_value()) << line;
    EXPECT_EQ(got->name, name) << line;
    EXPECT_EQ(got->type, type) << line;
}

TEST(AttachmentMarker, IosAttached)
{
    expect_attachment("\u200E<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
                      "00000035-PHOTO-2022-03-27-21-41-55.jpg", MediaType::Image);
    expect_attachment("<attached: 00000002-VIDEO-2019-06-20-16-01-42.mp4>",
                      "00000002-VIDEO-2019-06-20-16-01-42.mp4", MediaType::Video);
    expect_attachment("\u200E<attached: 00000038-AUDIO-2022-03-27-21-44-47.opus>",
                      "00000038-AUDIO-2022-03-27-21-44-47.opus", MediaType::Audio);
    expect_attachment("\u200E<attached: 00000051-GIF-2022-03-27-21-51-57.mp4>",
                      "00000051-GIF-2022-03-27-21-51-57.mp4", MediaType::Gif);
    expect_attachment("\u200E<attached: 00000043-STICKER-2022-03-27-21-49-16.webp>",
                      "00000043-STICKER-2022-03-27-21-49-16.webp", MediaType::Sticker);
    expect_attachment("\u200E<attached: 00000042-TR.vcf>", "00000042-TR.vcf", MediaType::Contact);
    expect_attachment("<attached: 00000004-whatsapp-chat-parser-example.zip>",
                      "00000004-whatsapp-chat-parser-example.zip", MediaType::Document);
}

TEST(AttachmentMarker, IosDocumentWithCaptionBefore)
{
    expect_attachment("Some file.txt \u200E<attached: 00000046-Some file.txt>", "00000046-Some file.txt",
                      MediaType::Document);
    expect_attachment(
        "Resume-Dmitry-Starkov.pdf • \u200E2 pages \u200E<attached: 00000047-Resume-Dmitry-Starkov.pdf>",
        "00000047-Resume-Dmitry-Starkov.pdf", MediaType::Document);
}

TEST(AttachmentMarker, IosVariantsAndLocalized)
{
    // Pustur's fixtures: spaces inside, and the 2015 form with LRM inside the brackets.
    expect_attachment("< attached: 00000042-PHOTO-2020-06-07-15-13-20.jpg >",
                      "00000042-PHOTO-2020-06-07-15-13-20.jpg", MediaType::Image);
    expect_attachment("2015-08-04-PHOTO-00004762.jpg <\u200Eattached>", "2015-08-04-PHOTO-00004762.jpg",
                      MediaType::Image);
    // WhatsR: German label, and an LRM inside the English marker before the name.
    expect_attachment("\u200E<Anhang: PTT-20180129-WA0025.opus>", "PTT-20180129-WA0025.opus",
                      MediaType::VoiceNote);
    expect_attachment("\u200E\u200E<attached: \u200EPTT-20180129-WA0025.opus>", "PTT-20180129-WA0025.opus",
                      MediaType::VoiceNote);
    // Arabic media export: a space before the RLM.
    expect_attachment(" \u200F<المُرفق: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
                      "00000035-PHOTO-2022-03-27-21-41-55.jpg", MediaType::Image);
    // [strings] full-width colon (zh/ja) and other labels.
    expect_attachment("\u200E<附件\uFF1A00000012-PHOTO-2023-01-01-10-00-00.jpg>",
                      "00000012-PHOTO-2023-01-01-10-00-00.jpg", MediaType::Image);
    expect_attachment("\u200E<pièce jointe: 00000012-Facture.pdf>", "00000012-Facture.pdf",
                      MediaType::Document);
    // whats_json's damaged export doubles the label: the name is still found.
    expect_attachment("Some file.txt \u200E<attached: <attached: 00000046-Some file.txt>",
                      "00000046-Some file.txt", MediaType::Document);
}

TEST(AttachmentMarker, AndroidFileAttached)
{
    expect_attachment("IMG-20220323-WA0002.jpg (file attached)", "IMG-20220323-WA0002.jpg", MediaType::Image);
    expect_attachment("PTT-20220323-WA0000.opus (file attached)", "PTT-20220323-WA0000.opus",
                      MediaType::VoiceNote);
    expect_attachment("STK-20220323-WA0003.webp (file attached)", "STK-20220323-WA0003.webp",
                      MediaType::Sticker);
    expect_attachment("VID-20220327-WA0001.mp4 (file attached)", "VID-20220327-WA0001.mp4", MediaType::Video);
    expect_attachment("Alex.vcf (file attached)", "Alex.vcf", MediaType::Contact);
    expect_attachment("\u200E\u200EPTT-20180129-WA0025.opus (file attached)", "PTT-20180129-WA0025.opus",
                      MediaType::VoiceNote);
    expect_attachment("\u200E4f2680f1db95a8454775cc2eefc95bfc.jpg (Datei angehängt)\nDir auch frohe Ostern.",
                      "4f2680f1db95a8454775cc2eefc95bfc.jpg", MediaType::Image);
    expect_attachment("\u200EPTT-20220323-WA0000.opus (bestand bijgevoegd)", "PTT-20220323-WA0000.opus",
                      MediaType::VoiceNote);
    expect_attachment("\u200ETR.vcf (soubor byl přiložen)", "TR.vcf", MediaType::Contact);
    expect_attachment("\u200EAlex.vcf (файл добавлен)", "Alex.vcf", MediaType::Contact);
    // [peer] whats-reader's synthetic es/fr/ja lines; [strings] pt, it.
    expect_attachment("foto.jpg (archivo adjunto)", "foto.jpg", MediaType::Image);
    expect_attachment("photo.jpg (fichier joint)", "photo.jpg", MediaType::Image);
    expect_attachment("foto.jpg (arquivo anexado)", "foto.jpg", MediaType::Image);
    expect_attachment("foto.jpg (file allegato)", "foto.jpg", MediaType::Image);
    expect_attachment("写真.jpg (ファイル添付)", "写真.jpg", MediaType::Image);
    // A name with its own parentheses.
    expect_attachment("Scan (1).pdf (file attached)", "Scan (1).pdf", MediaType::Document);
}

TEST(AttachmentMarker, RejectsOrdinaryTextAndBrokenMarkers)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(attachment_marker(body)) << body;
    for (const std::string_view line : {
             "\u200E<attached: >",    // whats_json's damaged export: no name
             "\u200E<attached: ",     // marker continues on the next line
             "(file attached)",       // no name
             "photo(file attached)",  // not WhatsApp's spacing
             "see (attached)",
             "<attachment>",
             "<Media omitted>",
             "<This message was edited>",
             "\u200Eimage omitted",
             "attached>",
             "<notalabel: x.jpg>",
         })
        EXPECT_FALSE(attachment_marker(line)) << line;
}

// ---------------------------------------------------------------------------------------------
// media_type_from_name

TEST(MediaTypeFromName, IosKinds)
{
    EXPECT_EQ(media_type_from_name("00000035-PHOTO-2022-03-27-21-41-55.jpg"), MediaType::Image);
    EXPECT_EQ(media_type_from_name("00000037-VIDEO-2022-03-27-21-44-16.mp4"), MediaType::Video);
    EXPECT_EQ(media_type_from_name("00000038-AUDIO-2022-03-27-21-44-47.opus"), MediaType::Audio);
    EXPECT_EQ(media_type_from_name("00000003-AUDIO-2019-06-20-16-03-55.mp3"), MediaType::Audio);
    EXPECT_EQ(media_type_from_name("00000051-GIF-2022-03-27-21-51-57.mp4"), MediaType::Gif);
    EXPECT_EQ(media_type_from_name("00000043-STICKER-2022-03-27-21-49-16.webp"), MediaType::Sticker);
    EXPECT_EQ(media_type_from_name("2015-08-04-PHOTO-00004762.jpg"), MediaType::Image);
    // iOS documents and contacts keep their own names after the sequence number.
    EXPECT_EQ(media_type_from_name("00000046-Some file.txt"), MediaType::Document);
    EXPECT_EQ(media_type_from_name("00000042-TR.vcf"), MediaType::Contact);
}

TEST(MediaTypeFromName, AndroidPrefixes)
{
    EXPECT_EQ(media_type_from_name("IMG-20220323-WA0002.jpg"), MediaType::Image);
    EXPECT_EQ(media_type_from_name("VID-20220327-WA0001.mp4"), MediaType::Video);
    EXPECT_EQ(media_type_from_name("AUD-20220327-WA0001.m4a"), MediaType::Audio);
    EXPECT_EQ(media_type_from_name("PTT-20220323-WA0000.opus"), MediaType::VoiceNote);
    EXPECT_EQ(media_type_from_name("STK-20220323-WA0003.webp"), MediaType::Sticker);
    EXPECT_EQ(media_type_from_name("DOC-20220327-WA0004.pdf"), MediaType::Document);
}

TEST(MediaTypeFromName, ByExtension)
{
    EXPECT_EQ(media_type_from_name("4f2680f1db95a8454775cc2eefc95bfc.jpg"), MediaType::Image);
    EXPECT_EQ(media_type_from_name("holiday.PNG"), MediaType::Image);
    EXPECT_EQ(media_type_from_name("sticker.webp"), MediaType::Sticker);
    EXPECT_EQ(media_type_from_name("funny.gif"), MediaType::Gif);
    EXPECT_EQ(media_type_from_name("clip.MOV"), MediaType::Video);
    EXPECT_EQ(media_type_from_name("voice.opus"), MediaType::VoiceNote);
    EXPECT_EQ(media_type_from_name("song.mp3"), MediaType::Audio);
    EXPECT_EQ(media_type_from_name("Alex.vcf"), MediaType::Contact);
    EXPECT_EQ(media_type_from_name("Resume-Dmitry-Starkov.pdf"), MediaType::Document);
    EXPECT_EQ(media_type_from_name("Template.docx"), MediaType::Document);
    EXPECT_EQ(media_type_from_name("\u200Ephoto.jpg\u200E"), MediaType::Image);
}

TEST(MediaTypeFromName, UnknownWhenNothingFits)
{
    for (const std::string_view name : {"", "README", "archive.unknownext", "file.", ".", "IMG-", "00000001-",
                                        "12345678-PHOTOS.xyz", "Hello World", "\xFF\xFE"})
        EXPECT_EQ(media_type_from_name(name), MediaType::Unknown) << name;
}

// ---------------------------------------------------------------------------------------------
// missed_call

TEST(MissedCall, AndroidExports)
{
    // [export] whats_json's Android exports.
    EXPECT_EQ(missed_call("Missed voice call"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Zmeškaný hovor"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Gemiste spraakoproep"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Пропущенный аудиозвонок"), CallMedia::Voice);
}

TEST(MissedCall, VideoAndLocalized)
{
    // [strings] iOS and Android tables.
    EXPECT_EQ(missed_call("Missed video call"), CallMedia::Video);
    EXPECT_EQ(missed_call("Missed group video call"), CallMedia::Video);
    EXPECT_EQ(missed_call("Verpasster Sprachanruf"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Verpasster Videoanruf"), CallMedia::Video);
    EXPECT_EQ(missed_call("Llamada perdida"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Videollamada perdida"), CallMedia::Video);
    EXPECT_EQ(missed_call("Appel vocal manqué"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Chamada de voz perdida"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Chiamata vocale persa"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Пропущенный видеозвонок"), CallMedia::Video);
    EXPECT_EQ(missed_call("Пропущений аудіодзвінок"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Zmeškaný videohovor"), CallMedia::Video);
    EXPECT_EQ(missed_call("Gemiste video-oproep"), CallMedia::Video);
    EXPECT_EQ(missed_call("不在着信"), CallMedia::Voice);
    EXPECT_EQ(missed_call("مكالمة فيديو فائتة"), CallMedia::Video);
}

TEST(MissedCall, IosTapToCallBack)
{
    EXPECT_EQ(missed_call("\u200EMissed voice call. \u200ETap to call back"), CallMedia::Voice);
    EXPECT_EQ(missed_call("Missed video call. Tap to call back"), CallMedia::Video);
    EXPECT_EQ(missed_call("\u200EMissed voice call."), CallMedia::Voice);
    EXPECT_EQ(missed_call("\u200EVerpasster Sprachanruf. Zum Zurückrufen tippen"), CallMedia::Voice);
}

TEST(MissedCall, RejectsOrdinaryText)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(missed_call(body)) << body;
    for (const std::string_view body : {
             "Missed voice call from mom",
             "Missed voice call. Sorry, I was driving",  // no LRM and not WhatsApp's tail
             "I missed your voice call",
             "Missed voice call\nTap to call back",
             "Voice call",
             "\u200EVoice call. 2 min",
             "\u200E",
         })
        EXPECT_FALSE(missed_call(body)) << body;
}

// ---------------------------------------------------------------------------------------------
// location

const Case kIosLocations[] = {
    {"en", "\u200ELocation: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"es", "\u200EUbicación: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"de", "\u200EStandort: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"fr", "\u200ELocalisation: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"pt", "\u200ELocalização: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"it", "\u200EPosizione: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"ru", "\u200EМестоположение: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"uk", "\u200EРозташування: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"cs", "\u200EPoloha: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"id", "\u200ELokasi: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"hi", "\u200Eलोकेशन: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"ja", "\u200E位置情報: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"th", "\u200Eตำแหน่งที่ตั้ง: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"vi", "\u200EVị trí: https://maps.google.com/?q=51.5021456,-0.127397"},
    {"ar", "\u200Fموقع: https://maps.google.com/?q=51.5021456,-0.127397"},
};

TEST(Location, IosEveryLanguage)
{
    for (const auto& c : kIosLocations) {
        const auto got = location(c.body);
        ASSERT_TRUE(got.has_value()) << c.lang << ": " << c.body;
        EXPECT_EQ(got->url, "https://maps.google.com/?q=51.5021456,-0.127397") << c.lang;
        EXPECT_EQ(got->latitude, "51.5021456") << c.lang;
        EXPECT_EQ(got->longitude, "-0.127397") << c.lang;
        EXPECT_FALSE(got->venue);
        EXPECT_FALSE(got->live);
    }
}

TEST(Location, AndroidLabels)
{
    for (const std::string_view body : {
             "location: https://maps.google.com/?q=51.50214569326172,-0.12739796972656",
             "poloha: https://maps.google.com/?q=51.50214569326172,-0.12739796972656",
             "местоположение: https://maps.google.com/?q=51.50214569326172,-0.12739796972656",
             "locatie: https://maps.google.com/?q=51.50214569326172,-0.12739796972656",
         }) {
        const auto got = location(body);
        ASSERT_TRUE(got.has_value()) << body;
        EXPECT_EQ(got->latitude, "51.50214569326172");
        EXPECT_EQ(got->longitude, "-0.12739796972656");
    }
    const auto de = location("Standort: https://maps.google.com/?q=50.9425526,6.9523387");
    ASSERT_TRUE(de);
    EXPECT_EQ(de->latitude, "50.9425526");
    EXPECT_EQ(de->longitude, "6.9523387");
    // Another Google domain (whats_json's damaged export), and a label we have no table row for.
    const auto ru = location("\u200ELocation: https://maps.google.ru/?q=34.800600,28.100155");
    ASSERT_TRUE(ru);
    EXPECT_EQ(ru->url, "https://maps.google.ru/?q=34.800600,28.100155");
    EXPECT_EQ(ru->latitude, "34.800600");
    EXPECT_TRUE(location("sijainti: https://maps.google.com/?q=60.1699,24.9384"));
}

TEST(Location, LiveLocation)
{
    for (const std::string_view body :
         {"live location shared", "Live-Standort wird geteilt.", "\u200Elive location shared"}) {
        const auto got = location(body);
        ASSERT_TRUE(got.has_value()) << body;
        EXPECT_TRUE(got->live);
        EXPECT_TRUE(got->url.empty());
        EXPECT_FALSE(got->latitude);
    }
}

TEST(Location, FoursquareVenue)
{
    const auto ios = location(
        "Pimlico Gardens (London, United Kingdom): https://foursquare.com/v/4e89af95e5fa82ad4c0aa03b");
    ASSERT_TRUE(ios);
    EXPECT_EQ(ios->url, "https://foursquare.com/v/4e89af95e5fa82ad4c0aa03b");
    EXPECT_EQ(ios->venue, "Pimlico Gardens (London, United Kingdom)");
    EXPECT_FALSE(ios->latitude);

    const auto android =
        location("Çalış Plajı\nFethiye, Muğla\nhttps://foursquare.com/v/4dea6dacd22da22d4ed36317");
    ASSERT_TRUE(android);
    EXPECT_EQ(android->url, "https://foursquare.com/v/4dea6dacd22da22d4ed36317");
    EXPECT_EQ(android->venue, "Çalış Plajı (Fethiye, Muğla)");
}

TEST(Location, RejectsOrdinaryTextAndLinks)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(location(body)) << body;
    for (const std::string_view body : {
             "https://maps.google.com/?q=51.5021456,-0.127397",  // a pasted link, no label
             "Meet me here https://maps.google.com/?q=1,2",
             "Meet me here: https://maps.google.com/?q=1,2 at 5",
             "Check this: https://foursquare.com/v/4e89af95e5fa82ad4c0aa03b",
             "Pimlico Gardens\nhttps://foursquare.com/v/4e89af95e5fa82ad4c0aa03b",
             "Line one\nLine two\nhttps://github.com/JuKo007",
             "location: somewhere",
             "live location",
         })
        EXPECT_FALSE(location(body)) << body;
}

// ---------------------------------------------------------------------------------------------
// is_system_notice

const Case kIosE2eNotices[] = {
    {"en", "\u200EMessages and calls are end-to-end encrypted. No one outside of this chat, not even "
           "WhatsApp, can read or listen to them."},
    {"es", "\u200ELos mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, "
           "ni siquiera WhatsApp, puede leerlos ni escucharlos."},
    {"de", "\u200ENachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats "
           "kann sie lesen oder anhören, nicht einmal WhatsApp."},
    {"fr", "\u200ELes messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, "
           "ne peut les lire ou les écouter."},
    {"pt", "\u200EAs mensagens e chamadas são encriptadas ponto a ponto. Ninguém fora desta conversa, nem "
           "mesmo o WhatsApp, pode ler ou ouvi-las."},
    {"it", "\u200EI messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa "
           "chat, nemmeno WhatsApp, può leggerne o ascoltarne il contenuto."},
    {"ru", "\u200EСообщения и звонки защищены сквозным шифрованием. Третьи лица, включая WhatsApp, "
           "не\u00A0могут прочитать ваши сообщения или прослушать звонки."},
    {"uk", "\u200EПовідомлення й дзвінки захищено наскрізним шифруванням. Прочитати чи прослухати їх не "
           "зможе жодна стороння особа, навіть із WhatsApp."},
    {"cs", "\u200EZprávy a hovory jsou opatřeny koncovým šifrováním. Nikdo, kdo není přímým účastníkem této "
           "konverzace, ji nemůže sledovat ani poslouchat. Dokonce ani WhatsApp."},
    {"id", "\u200EPesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, "
           "termasuk WhatsApp, yang dapat membaca atau mendengarkannya."},
    {"hi", "\u200Eमैसेजेस और कॉल्स एंड-टू-एंड एन्क्रिप्टेड हैं. इस चैट में शामिल लोगों के अलावा कोई भी इन्हें पढ़ या सुन नहीं सकता, "
           "WhatsApp भी नहीं."},
    {"ja", "\u200Eメッセージと通話はエンドツーエンド暗号化されています。チャットの参加者以外は、たとえWhatsAp"
           "pでも読んだり聞いたりすることはできません。"},
    {"th", "\u200Eข้อความและการโทรได้รับการเข้ารหัสจากต้นทางถึงปลายทาง ผู้ที่ไม่ได้อยู่ในแชทนี้จะไม่สามารถอ่านหรือฟังได้แม้แต่ "
           "WhatsApp เอง"},
    {"vi", "\u200ETin nhắn và cuộc gọi được mã hóa đầu cuối. Những người bên ngoài cuộc trò chuyện này, kể "
           "cả WhatsApp, sẽ không đọc hoặc nghe được."},
    {"ar", "\u200Fالرسائل والمكالمات مشفرة تمامًا بين الطرفين، بحيث لا يستطيع أحد خارج هذه الدردشة، ولا حتى "
           "شركة واتساب نفسها، قراءتها أو الاستماع إليها."},
};

const Case kIosSecurityNotices[] = {
    {"en", "\u200E\u200EYour security code with Elon changed. \u200ETap to learn more."},
    {"es", "\u200E\u200ECambió tu código de seguridad con Elon. \u200EPulsa para obtener más información."},
    {"de",
     "\u200E\u200EDeine Sicherheitsnummer für Elon hat sich geändert. \u200ETippe, um mehr zu erfahren."},
    {"fr", "\u200E\u200EVotre code de sécurité avec Elon a changé. \u200EAppuyez pour en savoir plus."},
    {"pt", "\u200E\u200EO seu código de segurança partilhado com Elon mudou. \u200EToque para saber mais."},
    {"it", "\u200E\u200EIl tuo codice di sicurezza con Elon è cambiato. \u200ETocca per saperne di più."},
    {"ru", "\u200E\u200EВаш код безопасности с контактом Elon изменился. \u200EПодробнее."},
    {"uk", "\u200E\u200EКод безпеки з контактом Elon змінився. \u200EТоркніться, щоб дізнатися більше."},
    {"cs", "\u200E\u200EBezpečnostní kód mezi vámi a\u00A0uživatelem Elon byl změněn. \u200EDalší informace "
           "zobrazíte klepnutím."},
    {"id", "\u200E\u200EKode keamanan Anda dengan Elon telah berubah. \u200EKetuk untuk info selengkapnya."},
    {"hi", "\u200E\u200EElon के लिए आपका सुरक्षा कोड बदल गया है. \u200Eज़्यादा जानने के लिए टैप करें."},
    {"ja", "\u200E\u200EElonとのセキュリティコードが変更されました。 \u200Eタップして詳細を表示。"},
    {"th", "\u200E\u200Eรหัสความปลอดภัยของคุณกับ Elon มีการเปลี่ยนแปลง \u200Eแตะเพื่อเรียนรู้เพิ่มเติม"},
    {"vi", "\u200E\u200EMã bảo mật của bạn với Elon đã thay đổi. \u200ENhấn để tìm hiểu thêm."},
    {"ar", "\u200F\u200Fتغيّر رمز أمانك المُستخدَم مع Elon. \u200Fانقر هنا لمعرفة المزيد."},
};

TEST(SystemNotice, EndToEndNoticeEveryIosLanguage)
{
    for (const auto& c : kIosE2eNotices)
        EXPECT_TRUE(is_system_notice(c.body)) << c.lang << ": " << c.body;
}

TEST(SystemNotice, EndToEndNoticeWithoutLrm)
{
    // Android exports and iOS exports that lost the LRM: recognised by their text.
    for (const auto& c : kIosE2eNotices) {
        std::string_view body = c.body;
        body.remove_prefix(3);  // the LRM/RLM
        EXPECT_TRUE(is_system_notice(body)) << c.lang << ": " << body;
    }
    for (const std::string_view body : {
             // 2016, 2017, 2018+ (Android adds "Tap to learn more."), 2024+.
             "Messages you send to this group are now secured with end-to-end encryption. Tap for more info.",
             "Messages to this group are now secured with end-to-end encryption. Tap for more info.",
             "Messages to this group are now secured with end-to-end encryption.",
             "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
             "can read or "
             "listen to them. Tap to learn more.",
             "Messages and calls are end-to-end encrypted. Only people in this chat can read, listen to, or "
             "share them. "
             "Learn more.",
             "Zprávy a hovory jsou zabezpečeny koncovým šifrováním. Nikdo, kdo není přímým účastníkem této "
             "konverzace, "
             "ji nemůže sledovat ani poslouchat. Dokonce ani WhatsApp. Další informace zobrazíte klepnutím.",
             "Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze lezen of "
             "beluisteren, zelfs WhatsApp niet. Tik voor meer informatie.",
             "\uFEFFNachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats "
             "kann sie "
             "lesen oder anhören, nicht einmal WhatsApp. Tippe, um mehr zu erfahren.",
         })
        EXPECT_TRUE(is_system_notice(body)) << body;
}

TEST(SystemNotice, BusinessNotice)
{
    EXPECT_TRUE(is_system_notice(
        "\u200EThis business uses a secure service from Meta to manage this chat. Tap to learn more."));
    EXPECT_TRUE(is_system_notice(
        "This business uses a secure service from Meta to manage this chat. Tap to learn more."));
}

TEST(SystemNotice, SecurityCodeEveryIosLanguage)
{
    for (const auto& c : kIosSecurityNotices)
        EXPECT_TRUE(is_system_notice(c.body)) << c.lang << ": " << c.body;
    // Without the LRMs.
    EXPECT_TRUE(is_system_notice("Your security code with Elon changed. Tap to learn more."));
    EXPECT_TRUE(
        is_system_notice("Deine Sicherheitsnummer für Elon hat sich geändert. Tippe, um mehr zu erfahren."));
    EXPECT_TRUE(is_system_notice("Elon के लिए आपका सुरक्षा कोड बदल गया है. ज़्यादा जानने के लिए टैप करें."));
    EXPECT_TRUE(is_system_notice("Elonとのセキュリティコードが変更されました。 タップして詳細を表示。"));
    EXPECT_TRUE(is_system_notice(
        "\u200E\u200EYour security code with \u202A+49\u00A0176\u00A045792480\u202C changed. "
        "\u200ETap to learn more."));
}

TEST(SystemNotice, ChangedNumberAndGroupNotices)
{
    // The Football iOS export writes these after LRM.
    EXPECT_TRUE(is_system_notice(
        "\u200E\u200E\u202A+965\u00A09260\u00A08562\u202C changed their phone number to a new "
        "number. \u200ETap to message or add the new number."));
    // These two have no author slot there, so the reader files them as system lines already;
    // the tables need not know them, only the LRM hint does.
    EXPECT_TRUE(is_marked_generated_text(
        "\u200E\u202A+90\u00A0531\u00A0411\u00A038\u00A099\u202C created this group"));
    EXPECT_TRUE(is_marked_generated_text("\u200E\u202A+90\u00A0535\u00A0540\u00A020\u00A075\u202C left"));
    EXPECT_TRUE(is_system_notice("\u200EYou were added"));
    // Without LRM (Android group chat, WhatsR, Pustur, whats-reader).
    for (const std::string_view body : {
             "You were added",
             "You're now an admin",
             "+40 002 50 30 changed their phone number to a new number. Tap to message or add the new "
             "number.",
             "Dmitry S created group \"Group Chat\"",
             "You created group “Sample Group”",
             "You changed the subject from \"Group Chat\" to \"Group Chat XXX\"",
             "Sarah changed the subject to \"Smith Family ❤️\"",
             "You changed the group name from \"WhatsAppParserTest🙈\" to \"Whatsappparsertest2\"",
             "You changed this group's icon",
             "Mom changed this group's icon",
             "Dmitry S changed the group description",
             "Dmitry S changed this group's settings to allow only admins to send messages to this group",
             "+7 999 999-99-99 joined using this group's invite link",
             "You updated the message timer. New messages will disappear from this chat 24 hours after "
             "they're sent. "
             "Tap to change.",
             "You turned off disappearing messages. Tap to change.",
             "Mike turned on disappearing messages. New messages will disappear from this chat after 7 days. "
             "Tap to "
             "change.",
             "Du hast die Gruppe \"WhatsAppParserTest🙈\" erstellt.",
             "Du hast das Gruppenbild geändert.",
         })
        EXPECT_TRUE(is_system_notice(body)) << body;
}

TEST(SystemNotice, LeadingLrmAloneIsOnlyAHint)
{
    // WhatsApp writes LRM before its own texts, so an unknown LRM line is probably generated…
    EXPECT_TRUE(is_marked_generated_text("\u200EОльга Р Х (МСК) добавил(-а) контакт +7 909 555-55-55"));
    EXPECT_TRUE(
        is_marked_generated_text("\u200FSomething WhatsApp wrote in a language we have no table for"));
    EXPECT_FALSE(is_marked_generated_text("\u200Eimage omitted"));
    EXPECT_FALSE(is_marked_generated_text("plain text"));
    // …but people's own messages start with it too (WhatsR's iOS test phones), so the tables
    // alone decide what is a notice.
    EXPECT_FALSE(is_system_notice("\u200ENo idea, lets try it out!"));
    EXPECT_FALSE(is_system_notice("\u200E\u200EAlright, lets go \U0001F60C\U0001F604"));
    EXPECT_FALSE(is_system_notice("\u200EUnd wie siehts mit Standorten aus?"));
}

TEST(SystemNotice, RejectsOrdinaryText)
{
    for (const auto body : ordinary_texts())
        EXPECT_FALSE(is_system_notice(body)) << body;
    for (const std::string_view body : {
             "I created group chats before",
             "You left your keys here",
             "He changed the subject, as usual",
             "Messages and calls are fun",
             "\u200E",
             "\uFEFF",
         })
        EXPECT_FALSE(is_system_notice(body)) << body;
}

TEST(SystemNotice, RejectsUserContentMarkersWithOrWithoutLrm)
{
    const auto reject_all = [](const auto& cases) {
        for (const Case& c : cases)
            EXPECT_FALSE(is_system_notice(c.body)) << c.lang << ": " << c.body;
    };
    reject_all(kIosImage);
    reject_all(kIosVideo);
    reject_all(kIosAudio);
    reject_all(kIosContact);
    reject_all(kIosSticker);
    reject_all(kIosGif);
    reject_all(kIosDocument);
    reject_all(kIosDeletedByOthers);
    reject_all(kIosDeletedByYou);
    reject_all(kIosLocations);
    for (const std::string_view body : {
             "\u200E<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
             " \u200F<المُرفق: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
             "\u200E<attached: >",
             "\u200E<attached: ",
             "\u200E\u200EPTT-20180129-WA0025.opus (file attached)",
             "\u200ETR.vcf (soubor byl přiložen)",
             "IMG-20220323-WA0002.jpg (file attached)",
             "<Media omitted>",
             "\u200E<Media omitted>",
             "This message was deleted",
             "\u200EMissed voice call. \u200ETap to call back",
             "Missed voice call",
             "\u200Elive location shared",
             "Pimlico Gardens (London, United Kingdom): https://foursquare.com/v/4e89af95e5fa82ad4c0aa03b",
             "null",
         })
        EXPECT_FALSE(is_system_notice(body)) << body;
}

// ---------------------------------------------------------------------------------------------
// Robustness: every function on truncated markers, invalid UTF-8 and random bytes. Each input
// sits in a heap buffer of its exact size, so a sanitizer build catches any read past the end.

void run_all(std::string_view s)
{
    (void)is_deleted_tombstone(s);
    EXPECT_LE(edited_marker_length(s), s.size());
    (void)media_omitted(s);
    if (const auto a = attachment_marker(s)) {
        EXPECT_FALSE(a->name.empty());
    }
    (void)media_type_from_name(s);
    (void)missed_call(s);
    (void)location(s);
    (void)is_system_notice(s);
}

void run_exact(std::string_view s)
{
    const std::vector<char> buf(s.begin(), s.end());
    run_all(std::string_view(buf.data(), buf.size()));
}

TEST(Robustness, EveryPrefixAndSuffixOfMarkers)
{
    std::vector<std::string_view> samples = {
        "\u200E<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
        " \u200F<المُرفق: 00000035-PHOTO-2022-03-27-21-41-55.jpg>",
        "\u200E<附件\uFF1A00000012-PHOTO-2023-01-01-10-00-00.jpg>",
        "2015-08-04-PHOTO-00004762.jpg <\u200Eattached>",
        "\u200E\u200EPTT-20180129-WA0025.opus (file attached)",
        "sample message \u200E<This message was edited>",
        "Resume-Dmitry-Starkov.pdf • \u200E2 pages \u200Edocument omitted",
        "\u200EMissed voice call. \u200ETap to call back",
        "Pimlico Gardens\nLondon, United Kingdom\nhttps://foursquare.com/v/4e89af95e5fa82ad4c0aa03b",
        "\u200ELocation: https://maps.google.com/?q=51.5021456,-0.127397",
        "\u200E\u200EYour security code with Elon changed. \u200ETap to learn more.",
        "\uFEFF\u00A0\u202A\u202E\u2066\u2069\u202F\u061C",
        "Mike turned on disappearing messages. Tap to change.",
    };
    for (const auto& c : kIosDeletedByYou)
        samples.push_back(c.body);
    for (const auto& c : kIosE2eNotices)
        samples.push_back(c.body);
    for (const auto s : samples) {
        for (std::size_t n = 0; n <= s.size(); ++n) {
            run_exact(s.substr(0, n));
            run_exact(s.substr(n));
        }
    }
}

TEST(Robustness, InvalidUtf8AndRandomBytes)
{
    for (const std::string_view s :
         {"\xE2", "\xE2\x80", "\xE2\x80\x8E\xE2", "<\xE2\x80>", "\xC3(file attached)", "\xFF\xFE\xFD",
          "\xEF\xBB", "\xC2", "<attached: \xF0\x9F>", "\xD8", "(\xE2\x80)"})
        run_exact(s);

    // Bytes that make up marks, brackets and separators, so random strings hit the parsers' edges.
    const std::string alphabet = std::string("<>():.：, \n\r-qhtps/") +
                                 "\xE2\x80\x8E\x8F\xAA\xEF\xBB\xBF\xC2\xA0\xD8\x9C" +
                                 "attached omitted Location https://maps.google.com/?q=1,2";
    std::mt19937 rng(20240501);
    std::uniform_int_distribution<std::size_t> length(0, 48);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int i = 0; i < 20000; ++i) {
        std::string s(length(rng), '\0');
        for (auto& ch : s)
            ch = alphabet[pick(rng)];
        run_exact(s);
    }
}

}  // namespace
}  // namespace cv::chat_export::detail

namespace cv::chat_export::detail {
namespace {

TEST(SystemNotice, NameFirstScopeNeedsTheMark)
{
    const std::string_view bare = "Elon के लिए आपका सुरक्षा कोड बदल गया है. ज़्यादा जानने के लिए टैप करें.";
    const std::string marked = "\u200E" + std::string(bare);
    EXPECT_TRUE(is_system_notice(bare, NoticeScope::Everywhere));
    EXPECT_FALSE(is_system_notice(bare, NoticeScope::NameFirstOnlyAfterMark));
    EXPECT_TRUE(is_system_notice(marked, NoticeScope::NameFirstOnlyAfterMark));
    // Leading-phrase notices need no mark in either scope (Android's E2E notice under a group).
    EXPECT_TRUE(
        is_system_notice("Messages and calls are end-to-end encrypted. No one outside of this chat, not "
                         "even WhatsApp, can read or listen to them.",
                         NoticeScope::NameFirstOnlyAfterMark));
}

}  // namespace
}  // namespace cv::chat_export::detail

namespace cv::chat_export::detail {
namespace {

TEST(AttachmentLabel, FindsDamagedMarkersButNotText)
{
    EXPECT_TRUE(mentions_attachment_label("\u200E<attached: "));
    EXPECT_TRUE(mentions_attachment_label("\u200E<attached: >"));
    EXPECT_TRUE(mentions_attachment_label("Some file.txt \u200E<Attached: <attached: x>"));
    EXPECT_TRUE(mentions_attachment_label("< attached: 00000035-PHOTO"));
    EXPECT_TRUE(mentions_attachment_label("<Anhang: Bild"));
    EXPECT_FALSE(mentions_attachment_label("I attached: the file"));
    EXPECT_FALSE(mentions_attachment_label("a < b and attached: c"));
    EXPECT_FALSE(mentions_attachment_label("<3 attached"));
}

TEST(MarkerGate, LetsThroughAnUnclosedMarker)
{
    EXPECT_TRUE(may_be_marker("<attached: "));
    EXPECT_FALSE(may_be_marker("Sounds good, see you at the lobby at ten"));
}

// The one-pass gate against the search-per-shape reference: each shape (and near misses) at
// every offset of a body, on the first line or after it, around the 16-byte blocks.
TEST(MarkerGate, OnePassMatchesReference)
{
    const std::string pieces[] = {"<",      "://",      ":/",   ":", "\n", "\u200E", "\u200F",
                                  "\u2019", "\xE2\x80", "\xE2", ")", ">",  "\uFF09", ").",
                                  "\n)",    "\u00A0",   "\t",   "é", "\n<"};
    for (const auto& a : pieces)
        for (const auto& b : pieces)
            for (std::size_t len = 0; len < 40; ++len)
                for (std::size_t at = 0; at <= len; at += 3) {
                    std::string body(len, 'w');
                    body.insert(at, a);
                    body.insert(std::min(body.size(), at + 5), b);
                    body = "Well " + body;
                    for (const std::string& s : {body, body + " ok", body + ")"})
                        ASSERT_EQ(may_be_marker(s), may_be_marker_reference(s)) << s;
                }
}

}  // namespace
}  // namespace cv::chat_export::detail

#include "render/detail/mime.hpp"

#include "../support/chunked_source.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include <gtest/gtest.h>
#include <sodium.h>

namespace cv::render::detail {
namespace {

std::vector<std::string> lines_of(const std::string& s)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t pos; (pos = s.find("\r\n", start)) != std::string::npos; start = pos + 2)
        lines.push_back(s.substr(start, pos - start));
    EXPECT_EQ(start, s.size()) << "output must end in CRLF";
    return lines;
}

// Decodes RFC 2047 Q-words the way a reader would, to check the encoder loses nothing. The
// independent check (Python's email package) runs in tests/render; this one pins the rules.
std::string decode_q_words(const std::string& header_value)
{
    std::string out;
    std::size_t pos = 0;
    while ((pos = header_value.find("=?UTF-8?Q?", pos)) != std::string::npos) {
        pos += 10;
        const auto end = header_value.find("?=", pos);
        for (std::size_t i = pos; i < end; ++i) {
            if (header_value[i] == '_')
                out += ' ';
            else if (header_value[i] == '=') {
                out += static_cast<char>(std::stoi(header_value.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else
                out += header_value[i];
        }
        pos = end + 2;
    }
    return out;
}

TEST(MimeHeader, AsciiTextStaysReadableAndFoldsAtSpacesWithoutLosingAny)
{
    std::string out;
    const std::string value =
        "WhatsApp message - Desk: " + std::string(30, 'a') + "  two spaces " + std::string(40, 'b');
    append_text_header(out, "Subject", value);
    for (const auto& line : lines_of(out))
        EXPECT_LE(line.size(), 78u) << line;
    std::string unfolded = out;
    for (std::size_t p; (p = unfolded.find("\r\n ")) != std::string::npos;)
        unfolded.erase(p, 2);
    EXPECT_EQ(unfolded, "Subject: " + value + "\r\n");
}

TEST(MimeHeader, UnicodeBecomesQWordsThatNeverSplitACharacterAndFitIn76Columns)
{
    const std::string value =
        "Überweisung 🙇‍♂️ تم الاستلام 了解しました " + std::string(50, 'x') + " ✅";
    std::string out;
    append_text_header(out, "Subject", value);
    for (const auto& line : lines_of(out)) {
        EXPECT_LE(line.size(), 76u) << line;
        EXPECT_EQ(line.find("?B?"), std::string::npos) << "never B-words (GMime issue 133)";
    }
    // Every word decodes to complete UTF-8 on its own.
    std::size_t pos = 0;
    while ((pos = out.find("=?UTF-8?Q?", pos)) != std::string::npos) {
        const auto end = out.find("?=", pos + 10);
        const std::string word = decode_q_words(out.substr(pos, end + 2 - pos));
        EXPECT_EQ(utf8::first_invalid(word), std::string::npos) << "a word splits a character: " << word;
        pos = end + 2;
    }
    EXPECT_EQ(decode_q_words(out), value);
}

TEST(MimeHeader, LineBreaksAndControlsInAValueBecomeSpaces)
{
    std::string out;
    append_text_header(out, "X-Test", "one\ntwo\r\nthree\tfour");
    EXPECT_EQ(out, "X-Test: one two  three four\r\n");
}

TEST(MimeHeader, TextThatLooksLikeAnEncodedWordIsEncoded)
{
    std::string out;
    append_text_header(out, "Subject", "=?UTF-8?Q?fake?=");
    EXPECT_EQ(decode_q_words(out), "=?UTF-8?Q?fake?=");
}

TEST(MimeAddress, AtomsQuotedStringsAndEncodedWordsByWhatTheNameNeeds)
{
    const std::vector<Mailbox> boxes = {{"Erika Muster", "e@x.invalid"},
                                        {"O'Neill, Daniel \"Dan\"", "d@x.invalid"},
                                        {"مريم حداد", "m@x.invalid"},
                                        {"", "bare@x.invalid"}};
    std::string out;
    append_address_header(out, "To", boxes);
    EXPECT_NE(out.find("Erika Muster <e@x.invalid>"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("O'Neill, Daniel \"Dan\"" <d@x.invalid>)"), std::string::npos) << out;
    EXPECT_NE(out.find("=?UTF-8?Q?=D9=85"), std::string::npos) << out;
    EXPECT_NE(out.find("<bare@x.invalid>"), std::string::npos) << out;
    for (const auto& line : lines_of(out))
        EXPECT_LE(line.size(), 76u) << line;
}

TEST(MimeAddress, ANameThatLooksLikeAnEncodedWordIsEncoded)
{
    const std::vector<Mailbox> boxes = {{"Ann =?UTF-8?Q?hi?= Lee", "a@x.invalid"}};
    std::string out;
    append_address_header(out, "From", boxes);
    EXPECT_EQ(out.find("Ann =?UTF-8?Q?hi?= Lee"), std::string::npos) << out;
    EXPECT_EQ(decode_q_words(out), "Ann =?UTF-8?Q?hi?= Lee");
}

TEST(MimeParameter, AValueThatLooksLikeAnEncodedWordUsesRfc2231)
{
    std::string out = "Content-Disposition: attachment";
    std::size_t col = out.size();
    append_parameter(out, col, "filename", "a =?UTF-8?Q?hi?= b.pdf");
    EXPECT_NE(out.find("filename*=utf-8''a%20%3D%3FUTF-8%3FQ%3Fhi%3F%3D%20b.pdf"), std::string::npos) << out;
}

TEST(MimeParameter, QuotedWhenAsciiAndShortRfc2231ContinuationsOtherwise)
{
    std::string out = "Content-Disposition: attachment";
    std::size_t col = out.size();
    append_parameter(out, col, "filename", "Term \"sheet\" v3.pdf");
    append_parameter(out, col, "size", "1234");
    EXPECT_NE(out.find(R"(filename="Term \"sheet\" v3.pdf")"), std::string::npos) << out;
    EXPECT_NE(out.find("size=1234"), std::string::npos) << out;

    std::string long_out = "Content-Disposition: attachment";
    col = long_out.size();
    const std::string name = "تقرير الخزينة الربع الثالث ✦ 2026 — نسخة نهائية.pdf";
    append_parameter(long_out, col, "filename", name);
    EXPECT_NE(long_out.find("filename*0*=utf-8''"), std::string::npos) << long_out;
    EXPECT_NE(long_out.find("filename*1*="), std::string::npos) << long_out;
    // Sections join back to the name, and none starts inside a character.
    std::string joined;
    std::size_t pos = 0;
    while ((pos = long_out.find("filename*", pos)) != std::string::npos) {
        auto eq = long_out.find('=', pos);
        auto end = long_out.find_first_of(";\r", eq);
        std::string section = long_out.substr(eq + 1, end - eq - 1);
        if (section.starts_with("utf-8''"))
            section.erase(0, 7);
        ASSERT_FALSE(section.starts_with("%8") || section.starts_with("%9") || section.starts_with("%A") ||
                     section.starts_with("%B"))
            << "section starts with a continuation byte: " << section;
        joined += section;
        pos = end;
    }
    std::string decoded;
    for (std::size_t i = 0; i < joined.size(); ++i) {
        if (joined[i] == '%') {
            decoded += static_cast<char>(std::stoi(joined.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            decoded += joined[i];
        }
    }
    EXPECT_EQ(decoded, name);
}

TEST(MimeDate, Rfc5322WithTheWallClockOffset)
{
    // 2026-01-01T10:00:00Z shown in CET, in UTC, and west of UTC.
    EXPECT_EQ(format_rfc5322_date(1767261600, 3600), "Thu, 01 Jan 2026 11:00:00 +0100");
    EXPECT_EQ(format_rfc5322_date(1767261600, 0), "Thu, 01 Jan 2026 10:00:00 +0000");
    EXPECT_EQ(format_rfc5322_date(1767261600, -(3 * 3600 + 1800)), "Thu, 01 Jan 2026 06:30:00 -0330");
    EXPECT_EQ(format_rfc5322_date(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(format_rfc5322_date(-1, 0), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(MimeQuotedPrintable, EncodesWhatMustBeAndKeepsLinesShort)
{
    std::string out;
    append_quoted_printable(out, "a=b trailing \nFrom here\r\n" + std::string(100, 'x') + "\nüñ\n");
    std::string no_final_break;
    append_quoted_printable(no_final_break, "abc");
    EXPECT_EQ(no_final_break, "abc") << "the part's last CRLF belongs to the boundary";
    const auto lines = lines_of(out);
    ASSERT_GE(lines.size(), 5u);
    EXPECT_EQ(lines[0], "a=3Db trailing=20");
    EXPECT_EQ(lines[1], "=46rom here");
    for (const auto& line : lines)
        EXPECT_LE(line.size(), 76u) << line;
    EXPECT_EQ(lines.back(), "=C3=BC=C3=B1");
}

using cv::testing::ChunkedSource;

std::string decode_base64(const std::string& text)
{
    std::string bin(text.size(), '\0');
    std::size_t len = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), text.data(),
                                text.size(), "\r\n", &len, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    bin.resize(len);
    return bin;
}

TEST(MimeBase64, StreamsAnySizeInSeventySixColumnLines)
{
    std::mt19937 rng(7);
    for (const std::size_t size : {0u, 1u, 56u, 57u, 58u, 57u * 1024u, 57u * 1024u + 1u, 300000u}) {
        std::string data(size, '\0');
        for (auto& c : data)
            c = static_cast<char>(rng());
        const std::size_t head = std::min<std::size_t>(size, 1000);
        ChunkedSource source(data.substr(head), 4093);
        StringSink sink;
        auto n = stream_base64(std::string_view(data).substr(0, head), source, sink);
        ASSERT_TRUE(n) << n.error().describe();
        EXPECT_EQ(*n, size);
        const auto lines = lines_of(sink.data());
        for (std::size_t i = 0; i < lines.size(); ++i)
            EXPECT_EQ(lines[i].size() == 76 || i + 1 == lines.size(), true) << "line " << i << " of " << size;
        EXPECT_EQ(decode_base64(sink.data()), data) << size;
    }
}

TEST(MimeBase64, TheFastEncoderMatchesOpenSslOnAnyInput)
{
    // Every length around the line size and the vector widths, every byte value in every
    // position (a counter, then random bytes), and long inputs.
    std::mt19937 rng(11);
    std::vector<std::string> inputs;
    for (std::size_t size = 0; size <= 3 * 57 + 5; ++size) {
        std::string counter(size, '\0');
        for (std::size_t i = 0; i < size; ++i)
            counter[i] = static_cast<char>(i * 7 + size);
        inputs.push_back(counter);
        std::string random(size, '\0');
        for (auto& c : random)
            c = static_cast<char>(rng());
        inputs.push_back(random);
    }
    for (int b = 0; b < 256; ++b)
        inputs.push_back(std::string(57 * 3, static_cast<char>(b)));
    for (int k = 0; k < 50; ++k) {
        std::string big(rng() % 200000, '\0');
        for (auto& c : big)
            c = static_cast<char>(rng());
        inputs.push_back(big);
    }
    for (const auto& in : inputs) {
        std::string fast = "prefix";
        std::string reference = "prefix";
        append_base64(fast, in);
        append_base64_reference(reference, in);
        ASSERT_EQ(fast, reference) << in.size() << " bytes";
        EXPECT_EQ(decode_base64(fast.substr(6)), in);
    }
}

class FailingSource final : public ByteSource {
public:
    Result<std::size_t> read(std::span<char>) override { return fail(ErrorCode::Parse, "entry is damaged"); }
};

TEST(MimeBase64, ASourceFailureIsReported)
{
    FailingSource source;
    StringSink sink;
    auto n = stream_base64("abc", source, sink);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code(), ErrorCode::Parse);
}

}  // namespace
}  // namespace cv::render::detail

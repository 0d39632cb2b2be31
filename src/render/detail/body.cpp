#include "render/detail/body.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace cv::render::detail {

namespace {

void append_html_escaped(std::string& out, std::string_view text)
{
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\r': break;  // CRLF inside a message shows as one line break
        default: out += c;
        }
    }
}

std::string_view media_word(MediaType t)
{
    switch (t) {
    case MediaType::Image: return "image";
    case MediaType::Video: return "video";
    case MediaType::Audio: return "audio";
    case MediaType::VoiceNote: return "voice message";
    case MediaType::Gif: return "GIF";
    case MediaType::Sticker: return "sticker";
    case MediaType::Document: return "document";
    case MediaType::Contact: return "contact card";
    case MediaType::Unknown: break;
    }
    return "media";
}

std::string call_summary(const CallInfo& call)
{
    std::string s = fmt::format("{} call", call.media == CallMedia::Video ? "Video" : "Voice");
    switch (call.result) {
    case CallResult::Missed: s += ", missed"; break;
    case CallResult::Answered: s += ", answered"; break;
    case CallResult::Unknown: break;
    }
    if (call.outgoing)
        s += *call.outgoing ? ", outgoing" : ", incoming";
    if (call.duration_seconds)
        s += ", duration " + format_duration(*call.duration_seconds);
    return s;
}

std::string attachment_line(const AttachmentNote& note)
{
    const Attachment& a = *note.attachment;
    const std::string_view what = media_word(a.type);
    switch (note.state) {
    case AttachmentState::Attached:
        return fmt::format("{} ({}{}): attached", note.file_name, note.content_type,
                           a.size ? ", " + format_size(*a.size) : std::string());
    case AttachmentState::Missing:
        return fmt::format("{}: named by the source but not contained in it, so not archived", a.name);
    case AttachmentState::Omitted:
        return a.name.empty()
                   ? fmt::format("{}: left out by the exporter, so not archived", what)
                   : fmt::format("{} ({}): left out by the exporter, so not archived", a.name, what);
    case AttachmentState::Unreadable:
        return fmt::format("{}: could not be read ({}), so not archived", a.name, note.reason);
    }
    return {};
}

// "52.5163, 13.3777" when the item holds coordinates its map URL does not show. A phone
// database's location may have no URL (live locations) or one for the venue's page
// (Android message_location.url) instead of a map link: the body is then the only place the
// coordinates are kept. Export and iOS URLs carry them ("?q=lat,lon"), so theirs are not repeated.
std::optional<std::string> coordinates_not_in_url(const Location& location)
{
    if (!location.latitude || !location.longitude)
        return std::nullopt;
    if (location.url.find(fmt::format("{},{}", *location.latitude, *location.longitude)) != std::string::npos)
        return std::nullopt;
    return fmt::format("{}, {}", *location.latitude, *location.longitude);
}

// Flags a reviewer must see before the text.
std::vector<std::string> state_notes(const Item& item)
{
    std::vector<std::string> notes;
    if (item.forwarded)
        notes.emplace_back("Forwarded");
    if (item.deleted)
        notes.emplace_back("Deleted message: the text below is what the source kept");
    if (item.edited)
        notes.emplace_back("Edited: the text below is the last version the source kept");
    if (item.placeholder == Placeholder::Empty)
        notes.emplace_back("Empty message: view-once or disappearing media the export does not contain");
    if (item.placeholder == Placeholder::Unrenderable)
        notes.emplace_back("A message WhatsApp could not show in the export");
    return notes;
}

}  // namespace

std::string format_duration(std::uint32_t seconds)
{
    if (seconds >= 3600)
        return fmt::format("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    return fmt::format("{}:{:02}", seconds / 60, seconds % 60);
}

std::string format_size(std::uint64_t bytes)
{
    std::string digits = std::to_string(bytes);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out + (bytes == 1 ? " byte" : " bytes");
}

std::string snippet(std::string_view text, std::size_t max_chars)
{
    std::string line;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        line.clear();
        for (std::size_t i = start; i < end;) {
            if (const std::size_t n = utf8::invisible_mark_length(text, i)) {
                i += n;
                continue;
            }
            line += text[i] == '\t' || text[i] == '\r' ? ' ' : text[i];
            ++i;
        }
        const auto first = line.find_first_not_of(' ');
        if (first != std::string::npos) {
            line.erase(0, first);
            while (!line.empty() && line.back() == ' ')
                line.pop_back();
            break;
        }
        line.clear();
        start = end + 1;
    }
    std::size_t chars = 0;
    for (std::size_t i = 0; i < line.size();) {
        std::size_t len = 1;
        utf8::decode(line, i, len);
        if (++chars > max_chars)
            return line.substr(0, i) + "…";
        i += len;
    }
    return line;
}

std::string subject_line(const Item& item, std::string_view chat_title, std::string_view peer)
{
    if (item.kind == ItemKind::Call && item.call) {
        const CallInfo& c = *item.call;
        std::string result;
        switch (c.result) {
        case CallResult::Missed: result = "missed"; break;
        case CallResult::Answered:
            result = c.duration_seconds ? "answered " + format_duration(*c.duration_seconds) : "answered";
            break;
        case CallResult::Unknown: result = "result unknown"; break;
        }
        return fmt::format("WhatsApp {} call ({}) - {}", c.media == CallMedia::Video ? "video" : "voice",
                           result, peer);
    }
    std::string kind = item.kind == ItemKind::System ? "system" : "message";
    if (item.deleted)
        kind += " (deleted)";
    else if (item.edited)
        kind += " (edited)";
    std::string text;
    if (!item.attachments.empty()) {
        // "[image: IMG-….jpg] caption": the marker line says less than the label, and the
        // caption (if any) follows it.
        const Attachment& a = item.attachments.front();
        text = a.name.empty() ? fmt::format("[{} omitted]", media_word(a.type))
                              : fmt::format("[{}: {}]", media_word(a.type), a.name);
        std::string_view rest = item.text;
        const auto first_line = rest.substr(0, rest.find('\n'));
        if (a.omitted || (!a.name.empty() && first_line.find(a.name) != std::string_view::npos))
            rest.remove_prefix(std::min(rest.size(), first_line.size() + 1));
        if (const std::string caption = snippet(rest, 60); !caption.empty())
            text += " " + caption;
    } else {
        text = snippet(item.text, 60);
    }
    if (text.empty())
        return fmt::format("WhatsApp {} - {}", kind, chat_title);
    return fmt::format("WhatsApp {} - {}: {}", kind, chat_title, text);
}

std::string plain_body(const ItemView& view)
{
    const Item& item = view.item;
    std::string out;
    for (const auto& note : state_notes(item))
        out += fmt::format("[{}]\n", note);
    if (!out.empty())
        out += '\n';
    if (item.quoted) {
        out += fmt::format("> {}:\n", item.quoted->author.value_or("(unknown sender)"));
        std::size_t start = 0;
        const std::string& q = item.quoted->text;
        while (start <= q.size()) {
            std::size_t end = q.find('\n', start);
            if (end == std::string::npos)
                end = q.size();
            out += "> ";
            out.append(q, start, end - start);
            out += '\n';
            start = end + 1;
        }
        out += '\n';
    }
    out += item.text;
    if (!out.ends_with('\n'))
        out += '\n';

    std::string facts;
    if (item.location) {
        if (item.location->venue)
            facts += fmt::format("Location: {}\n", *item.location->venue);
        if (const auto where = coordinates_not_in_url(*item.location))
            facts += fmt::format("Coordinates: {}\n", *where);
        if (item.location->live)
            facts += "Live location shared\n";
        if (!item.location->url.empty())
            facts += fmt::format("Map: {}\n", item.location->url);
    }
    if (item.call)
        facts += call_summary(*item.call) + "\n";
    if (!view.attachments.empty()) {
        facts += "Attachments:\n";
        for (const auto& note : view.attachments)
            facts += fmt::format("- {}\n", attachment_line(note));
    }
    if (!facts.empty())
        out += "\n" + facts;
    return out;
}

void append_html_bubble(std::string& html, const ItemView& view, std::string_view time_label)
{
    const Item& item = view.item;
    const bool system = item.kind == ItemKind::System;
    html +=
        system
            ? "<div style=\"margin:6px auto;max-width:40em;text-align:center\">"
              "<div style=\"display:inline-block;background:#fff5c4;border-radius:8px;padding:4px 10px;"
              "font-size:.9em;color:#54656f\">"
            : "<div style=\"margin:6px 0;max-width:40em\"><div style=\"display:inline-block;"
              "background:#ffffff;border-radius:8px;padding:6px 9px;box-shadow:0 1px 1px rgba(0,0,0,.15)\">";
    if (!system && !view.sender.empty()) {
        html += "<div style=\"font-weight:bold;color:#1f7aec;font-size:.9em\">";
        append_html_escaped(html, view.sender);
        html += "</div>";
    }
    for (const auto& note : state_notes(item)) {
        html += "<div style=\"font-style:italic;color:#667781;font-size:.85em\">";
        append_html_escaped(html, note);
        html += "</div>";
    }
    if (item.quoted) {
        html += "<blockquote style=\"margin:2px 0 4px;padding:4px 8px;border-left:4px solid #06cf9c;"
                "background:#f0f2f5;border-radius:4px\"><div style=\"font-weight:bold;font-size:.85em\">";
        append_html_escaped(html, item.quoted->author.value_or("(unknown sender)"));
        html += "</div><div dir=\"auto\" style=\"white-space:pre-wrap\">";
        append_html_escaped(html, item.quoted->text);
        html += "</div></blockquote>";
    }
    html += "<div dir=\"auto\" style=\"white-space:pre-wrap\">";
    append_html_escaped(html, item.text);
    html += "</div>";
    if (item.location && item.location->url.starts_with("https://")) {
        html += "<div><a href=\"";
        append_html_escaped(html, item.location->url);
        html += "\">";
        append_html_escaped(html, item.location->venue.value_or("Open the location on a map"));
        html += "</a></div>";
    }
    if (const auto where = item.location ? coordinates_not_in_url(*item.location) : std::nullopt) {
        html += "<div>Coordinates: ";
        append_html_escaped(html, *where);
        html += "</div>";
    }
    if (item.call) {
        html += "<div style=\"font-weight:bold\">&#128222; ";
        append_html_escaped(html, call_summary(*item.call));
        html += "</div>";
    }
    for (const auto& note : view.attachments) {
        html += "<div style=\"font-size:.85em;color:#54656f\">&#128206; ";
        append_html_escaped(html, attachment_line(note));
        html += "</div>";
    }
    html += "<div style=\"text-align:right;color:#667781;font-size:.75em\">";
    append_html_escaped(html, time_label);
    html += "</div></div></div>\n";
}

std::string html_document(std::string_view title, std::string_view heading, std::string_view bubbles)
{
    std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>";
    append_html_escaped(html, title);
    html += "</title></head>\n<body style=\"margin:0;padding:12px;background:#efeae2;"
            "font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#111b21\">\n"
            "<div style=\"font-size:.85em;color:#54656f;margin-bottom:8px\">";
    append_html_escaped(html, heading);
    html += "</div>\n";
    html.append(bubbles);
    html += "</body></html>\n";
    return html;
}

}  // namespace cv::render::detail

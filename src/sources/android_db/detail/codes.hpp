#pragma once
/// Android's numeric codes (spec §B.4, §B.5, §B.6, §B.9) → the model's words. Android
/// numbering only: iOS codes are unrelated.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/item.hpp"

namespace cv::android_db::detail {

/// `message.message_type` / legacy `media_wa_type` values this reader treats specially.
enum MessageType : int {
    kText = 0,
    kImage = 1,
    kAudio = 2,
    kVideo = 3,
    kContact = 4,
    kLocation = 5,
    kSystem = 7,
    kLegacyCall = 8,
    kDocument = 9,
    kMissedCall = 10,
    kWaiting = 11,
    kGif = 13,
    kContacts = 14,
    kRevoked = 15,
    kLiveLocation = 16,
    kSticker = 20,
    kGroupInvite = 24,
    kViewOnceImage = 42,
    kViewOnceVideo = 43,
    kAdminRevoked = 64,
    kPoll = 66,
    kVideoNote = 81,
    kViewOnceVoice = 82,
    kCallEntry = 90,
    kAlbum = 99,
    kPollV2 = 106,
};

/// The attachment type a media message type carries; Unknown for types without a file.
/// `origin` 1 on audio marks a voice note.
MediaType media_type_of(std::int64_t message_type, std::int64_t origin);

/// True for the types whose content is handled without a side table (or with one this
/// reader knows); false means "unrecognised": kept, labelled, warned about once.
bool is_known_type(std::int64_t message_type);

/// Readable text of a system event. `actor` and `targets` are display names (may be empty);
/// `value` is the new subject or similar text the row carries. `legacy` selects the legacy
/// `messages.media_size` action numbering where it differs from `message_system.action_type`.
std::string system_text(std::int64_t action, std::string_view actor, const std::vector<std::string>& targets,
                        std::string_view value, bool legacy);

/// `call_log.call_result` with the duration: a call that lasted is answered whatever the
/// code says (spec §B.6: codes differ between versions).
CallResult call_result_of(std::int64_t code, std::int64_t duration_seconds);

/// "call:ABC" → "ABC" (upper-case): the form both call_log.call_id and the chat row use.
std::string normalize_call_id(std::string_view id);

}  // namespace cv::android_db::detail

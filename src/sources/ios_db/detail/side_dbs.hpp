#pragma once
// The two optional databases beside ChatStorage: ContactsV2 (names) and CallHistory (calls).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/item.hpp"

namespace cv::ios_db::detail {

// ContactsV2 (read by address_book): person key (§E.1) → ZFULLNAME (else ZGIVENNAME). Rows
// without a WhatsApp id or an international number are left out. Warnings are appended.
// Errors: as address_book::read; InvalidArgument for an Android wa.db.
Result<std::map<std::string, std::string>> read_contacts(const std::filesystem::path& path,
                                                         std::vector<std::string>& warnings);

struct CallRecord {
    std::int64_t row = 0;                // ZWACDCALLEVENT.Z_PK
    std::optional<std::string> call_id;  // ZCALLIDSTRING (newer builds only)
    std::string date_text;               // ZDATE as stored: part of the fallback key (§E.3)
    std::int64_t utc = 0;
    std::optional<std::uint32_t> duration_seconds;
    CallMedia media = CallMedia::Voice;
    CallResult result = CallResult::Unknown;
    std::optional<bool> incoming;  // ZWAAGGREGATECALLEVENT.ZINCOMING
    std::optional<std::int64_t> outcome;
    std::string caller_jid;                 // ZGROUPCALLCREATORUSERJIDSTRING
    std::string group_jid;                  // ZGROUPJIDSTRING
    std::vector<std::string> participants;  // ZWACDCALLEVENTPARTICIPANT.ZJIDSTRING
    std::optional<std::string> stanza_id;   // the ChatStorage type-59 row of the same call, if any
};

// Every call of ZWACDCALLEVENT (joined to its aggregate and participants), in time order.
// Rows without a date are skipped with a warning. Errors: as sqlite::Snapshot::open;
// InvalidArgument when ZWACDCALLEVENT is missing.
Result<std::vector<CallRecord>> read_call_history(const std::filesystem::path& path,
                                                  std::vector<std::string>& warnings);

}  // namespace cv::ios_db::detail

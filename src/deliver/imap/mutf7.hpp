#pragma once
/// IMAP mailbox names in "modified UTF-7" (RFC 3501 §5.1.3): how a folder called "Café" or
/// "WhatsApp 存档" is written on the wire. Written by hand: no Debian library offers it apart
/// from whole IMAP clients, and it is forty lines.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv::deliver::imap {

/// Errors: InvalidArgument (not UTF-8, or a control character: not a mailbox name).
Result<std::string> encode_mailbox_name(std::string_view utf8);

}  // namespace cv::deliver::imap

// X-Hub-Signature-256 checks (spec §A.1): the spec's vector, and every way a header can be wrong.

#include <string>

#include <gtest/gtest.h>

#include "sources/cloud_api/cloud_api.hpp"

namespace cv::cloud_api {
namespace {

constexpr std::string_view kSecret = "example-app-secret";
constexpr std::string_view kBody = R"({"object":"whatsapp_business_account","entry":[]})";
constexpr std::string_view kHeader =
    "sha256=eb4b54cb68820a953c6ac314910c47e62f8e1b39bbda1006514617140c6d3870";

TEST(CloudApiSignature, SpecTestVector)
{
    EXPECT_TRUE(verify_signature(kSecret, kBody, kHeader));
}

TEST(CloudApiSignature, WrongSecret)
{
    EXPECT_FALSE(verify_signature("example-app-secreT", kBody, kHeader));
    EXPECT_FALSE(verify_signature("", kBody, kHeader));
}

TEST(CloudApiSignature, MissingOrMalformedHeader)
{
    EXPECT_FALSE(verify_signature(kSecret, kBody, ""));
    EXPECT_FALSE(verify_signature(kSecret, kBody, "sha256="));
    EXPECT_FALSE(verify_signature(kSecret, kBody, kHeader.substr(0, kHeader.size() - 1)));  // short
    EXPECT_FALSE(verify_signature(kSecret, kBody, std::string(kHeader) + "0"));             // long
    EXPECT_FALSE(verify_signature(kSecret, kBody, kHeader.substr(7)));                      // no prefix
    EXPECT_FALSE(verify_signature(kSecret, kBody, "sha1=eb4b54cb68820a953c6ac314910c47e62f8e1b39"));
    std::string upper(kHeader);
    for (std::size_t i = 7; i < upper.size(); ++i)
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    EXPECT_FALSE(verify_signature(kSecret, kBody, upper));
    std::string garbage(kHeader);
    garbage[20] = 'g';
    EXPECT_FALSE(verify_signature(kSecret, kBody, garbage));
    EXPECT_FALSE(verify_signature(kSecret, kBody,
                                  "SHA256=eb4b54cb68820a953c6ac314910c47e62f8e1b39bbda1006514617140c6d3870"));
}

TEST(CloudApiSignature, OneFlippedBodyByteFails)
{
    for (std::size_t i = 0; i < kBody.size(); ++i) {
        std::string body(kBody);
        body[i] = static_cast<char>(body[i] ^ 0x01);
        EXPECT_FALSE(verify_signature(kSecret, body, kHeader)) << "byte " << i;
    }
    // Re-serialised JSON (a space added) is not the signed bytes either.
    EXPECT_FALSE(verify_signature(kSecret, R"({"object": "whatsapp_business_account","entry":[]})", kHeader));
}

}  // namespace
}  // namespace cv::cloud_api

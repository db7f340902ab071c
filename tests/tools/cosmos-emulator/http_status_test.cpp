#include "tools/cosmos-emulator/http_status.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

TEST(HttpStatus, SuccessesMapToTheirCodesWithoutErrorNames) {
  EXPECT_EQ(http_status(result_status::ok), 200u);
  EXPECT_EQ(http_status(result_status::created), 201u);
  EXPECT_EQ(http_status(result_status::no_content), 204u);
  for (auto s : {result_status::ok, result_status::created, result_status::no_content}) {
    EXPECT_TRUE(error_code_name(s).empty());
    EXPECT_EQ(http_substatus(s), 0u);
  }
}

TEST(HttpStatus, ErrorsMapToCosmosStatusSubstatusAndCode) {
  struct row {
    result_status status;
    unsigned http;
    unsigned substatus;
    std::string_view code;
  };
  for (const row& r : {
           row{result_status::bad_request, 400, 0, "BadRequest"},
           row{result_status::partition_key_mismatch, 400, 1001, "BadRequest"},
           row{result_status::bad_continuation, 400, 0, "BadRequest"},
           row{result_status::not_found, 404, 0, "NotFound"},
           row{result_status::conflict, 409, 0, "Conflict"},
           row{result_status::gone, 410, 1002, "Gone"},
           row{result_status::precondition_failed, 412, 0, "PreconditionFailed"},
           row{result_status::too_large, 413, 0, "RequestEntityTooLarge"},
           row{result_status::throttled, 429, 3200, "TooManyRequests"},
       }) {
    EXPECT_EQ(http_status(r.status), r.http) << r.code;
    EXPECT_EQ(http_substatus(r.status), r.substatus) << r.code;
    EXPECT_EQ(error_code_name(r.status), r.code);
    EXPECT_FALSE(default_message(r.status).empty());
  }
}

TEST(HttpStatus, ChargesAreWrittenWithTwoDecimals) {
  EXPECT_EQ(format_charge(5), "5.00");
  EXPECT_EQ(format_charge(102.456), "102.46");
  EXPECT_EQ(format_charge(0), "0.00");
}

}  // namespace
}  // namespace idabus::emulator

#include "io/http/transport_error.hpp"

#include <boost/asio/error.hpp>

#include <gtest/gtest.h>

namespace idabus::io::http {
namespace {

TEST(TransportError, CarriesKindCauseAndMessage) {
  const transport_error e(transport_error_kind::connect_failed,
                          make_error_code(boost::asio::error::connection_refused), "http 127.0.0.1:1: connect failed");
  EXPECT_EQ(e.kind(), transport_error_kind::connect_failed);
  EXPECT_EQ(e.code(), boost::asio::error::connection_refused);
  const std::string what = e.what();
  EXPECT_NE(what.find("127.0.0.1:1: connect failed"), std::string::npos) << what;
  EXPECT_NE(what.find(e.code().message()), std::string::npos) << what;
}

TEST(TransportError, CancelledIsAnOperationAbortedSystemError) {
  try {
    throw transport_error(transport_error_kind::cancelled, make_error_code(boost::asio::error::operation_aborted),
                          "request cancelled");
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), boost::asio::error::operation_aborted);
  }
}

TEST(TransportError, KindNamesAreStable) {
  EXPECT_EQ(to_string(transport_error_kind::connect_failed), "connect_failed");
  EXPECT_EQ(to_string(transport_error_kind::tls_failed), "tls_failed");
  EXPECT_EQ(to_string(transport_error_kind::timeout), "timeout");
  EXPECT_EQ(to_string(transport_error_kind::connection_reset), "connection_reset");
  EXPECT_EQ(to_string(transport_error_kind::response_too_large), "response_too_large");
  EXPECT_EQ(to_string(transport_error_kind::protocol_error), "protocol_error");
  EXPECT_EQ(to_string(transport_error_kind::cancelled), "cancelled");
}

}  // namespace
}  // namespace idabus::io::http

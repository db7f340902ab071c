#include "tools/cosmos-emulator/service.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/base64.hpp"
#include "tools/cosmos-emulator/options.hpp"

#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace idabus::emulator {
namespace {

namespace http = io::http;
namespace net = boost::asio;

fault_options faults_with(double p429, double p503, double preset) {
  fault_options o;
  o.throttle_probability = p429;
  o.unavailable_probability = p503;
  o.reset_probability = preset;
  return o;
}
namespace cosmos = io::cosmos;
using namespace std::chrono_literals;

struct EmulatorService : ::testing::Test {
  std::string key = *cosmos::base64_decode(public_emulator_key);
  store data{store_options{}};
  routes api{data, options()};

  routes_options options() const {
    routes_options o;
    o.decoded_key = key;
    return o;
  }

  http::request signed_request(std::string method, std::string path, std::string body = {}) {
    http::request req;
    req.method = method;
    req.target = path;
    req.body = std::move(body);
    auto date = cosmos::http_date(std::chrono::system_clock::now());
    req.headers.emplace_back("x-ms-date", date);
    req.headers.emplace_back("authorization", cosmos::authorization_header(key, method, cosmos::address_of(path), date));
    return req;
  }
};

TEST_F(EmulatorService, InjectedThrottleAnswers429AndExecutesNothing) {
  fault_injector always_429(faults_with(1, 0, 0));
  auto r = serve_request(api, always_429, 0ms, signed_request("POST", "/dbs", R"({"id":"db"})"));
  EXPECT_EQ(r.message.status, 429u);
  EXPECT_EQ(r.message.header("x-ms-substatus"), "3200");
  EXPECT_EQ(r.message.header("x-ms-retry-after-ms"), "50");
  EXPECT_FALSE(r.message.header("x-ms-activity-id").empty());
  fault_injector none(fault_options{});
  EXPECT_EQ(serve_request(api, none, 0ms, signed_request("GET", "/dbs/db")).message.status, 404u)
      << "the throttled create must not have run";
}

TEST_F(EmulatorService, InjectedUnavailableAnswers503) {
  fault_injector always_503(faults_with(0, 1, 0));
  auto r = serve_request(api, always_503, 0ms, signed_request("GET", "/dbs"));
  EXPECT_EQ(r.message.status, 503u);
  EXPECT_NE(r.message.body.find("ServiceUnavailable"), std::string::npos);
}

TEST_F(EmulatorService, InjectedResetExecutesAndAsksForAResetDelivery) {
  fault_injector always_reset(faults_with(0, 0, 1));
  auto r = serve_request(api, always_reset, 0ms, signed_request("POST", "/dbs", R"({"id":"db"})"));
  EXPECT_EQ(r.how, http::delivery::reset_mid_body);
  EXPECT_EQ(r.message.status, 201u);
  fault_injector none(fault_options{});
  EXPECT_EQ(serve_request(api, none, 0ms, signed_request("GET", "/dbs/db")).message.status, 200u);
}

TEST_F(EmulatorService, AFaultAimedWithOnlyHitsTheMatchingMethodAndPathAlone) {
  fault_options o = faults_with(0, 1, 0);
  o.only = "POST /dbs/aimed";
  fault_injector aimed(o);
  EXPECT_EQ(serve_request(api, aimed, 0ms, signed_request("POST", "/dbs", R"({"id":"aimed"})")).message.status, 201u);
  EXPECT_EQ(serve_request(api, aimed, 0ms, signed_request("GET", "/dbs/aimed")).message.status, 200u);
  EXPECT_EQ(serve_request(api, aimed, 0ms, signed_request("POST", "/dbs/aimed/colls", R"({"id":"c"})")).message.status,
            503u);
}

TEST_F(EmulatorService, UnauthorizedRequestsAndTheAccountReadGetNoFault) {
  fault_injector always_429(faults_with(1, 0, 0));
  auto unsigned_req = signed_request("GET", "/dbs");
  http::set_header(unsigned_req.headers, "authorization", "type%3Dmaster%26ver%3D1.0%26sig%3Dx");
  EXPECT_EQ(serve_request(api, always_429, 0ms, unsigned_req).message.status, 401u);
  EXPECT_EQ(serve_request(api, always_429, 0ms, signed_request("GET", "/")).message.status, 200u);
}

TEST_F(EmulatorService, HeadCheckRefusesAHeadWithoutAValidSignatureAndAdmitsASignedOne) {
  auto check = make_head_check(api);
  // The head of a large document write: the signature never covers the body, which is unread.
  auto head = signed_request("POST", "/dbs/db/colls/c/docs");
  EXPECT_FALSE(check(head).has_value());
  auto forged = head;
  http::set_header(forged.headers, "authorization", "type%3Dmaster%26ver%3D1.0%26sig%3Dx");
  auto refused = check(forged);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401u);
  auto anonymous = head;
  std::erase_if(anonymous.headers, [](const auto& h) { return h.first == "authorization"; });
  ASSERT_TRUE(check(anonymous).has_value());
  EXPECT_EQ(check(anonymous)->status, 401u);
}

TEST_F(EmulatorService, LatencyBecomesTheReplyDelay) {
  fault_injector none(fault_options{});
  auto r = serve_request(api, none, 25ms, signed_request("GET", "/dbs"));
  EXPECT_EQ(r.delay, 25ms);
  EXPECT_EQ(r.how, http::delivery::complete);
}

// The handler acknowledges a write only once the log's commit thread has written and synced its
// group: when the reply exists, the file holds every record the store appended.
TEST_F(EmulatorService, HandlerAnswersAWriteOnlyOnceItIsInTheLogFile) {
  test::temp_dir dir;
  store_options persistent;
  persistent.data_dir = dir.path.string();
  store durable_data(persistent);
  routes durable_api(durable_data, options());
  fault_injector none(fault_options{});
  auto handler = make_handler(durable_api, none, durable_data, 0ms);
  const auto log_file = dir.path / "emulator.log";
  const auto before = std::filesystem::file_size(log_file);
  for (int i = 0; i < 3; ++i) {
    auto request = signed_request("POST", "/dbs", R"({"id":"db)" + std::to_string(i) + R"("})");
    auto reply = test::run_coro([&](net::io_context&) { return handler(std::move(request)); });
    ASSERT_EQ(reply.message.status, 201u);
    EXPECT_EQ(std::filesystem::file_size(log_file), durable_data.stats().log_bytes);
  }
  EXPECT_GT(std::filesystem::file_size(log_file), before);
}

TEST_F(EmulatorService, HandlerAnswersAtOnceWithoutADataDir) {
  fault_injector none(fault_options{});
  auto handler = make_handler(api, none, data, 0ms);
  auto reply = test::run_coro([&](net::io_context&) { return handler(signed_request("POST", "/dbs", R"({"id":"db"})")); });
  EXPECT_EQ(reply.message.status, 201u);
}

}  // namespace
}  // namespace idabus::emulator

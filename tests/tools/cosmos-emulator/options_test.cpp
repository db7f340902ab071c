#include "tools/cosmos-emulator/options.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace idabus::emulator {
namespace {

options_result parse(std::vector<std::string_view> args) { return parse_options(args); }

TEST(EmulatorOptions, DefaultsMatchTheDesign) {
  auto r = parse({});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->host, "127.0.0.1");
  EXPECT_EQ(r.options->port, 8081);
  EXPECT_EQ(r.options->key, public_emulator_key);
  EXPECT_EQ(r.options->decoded_key.size(), 64u);
  EXPECT_EQ(r.options->partitions, 4u);
  EXPECT_EQ(r.options->ru_per_second, 0);
  EXPECT_TRUE(r.options->data_dir.empty());
}

TEST(EmulatorOptions, ParsesEveryOptionInBothForms) {
  auto r = parse({"--host", "0.0.0.0", "--port=0", "--key", "dGVzdGtleQ==", "--tls-cert", "c.pem", "--tls-key", "k.pem",
                  "--partitions", "8", "--ru-per-second", "1000.5", "--data-dir", "/tmp/d", "--latency-ms", "5",
                  "--fault-429", "0.1", "--fault-503", "0.2", "--fault-reset=0.3", "--seed", "42", "--threads", "3",
                  "--fault-only", "PUT /dbs/d/colls/c/docs/x", "--fault-limit=2"});
  ASSERT_TRUE(r.options) << r.error;
  const auto& o = *r.options;
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.port, 0);
  EXPECT_EQ(o.decoded_key, "testkey");
  EXPECT_EQ(o.tls_cert, "c.pem");
  EXPECT_EQ(o.tls_key, "k.pem");
  EXPECT_EQ(o.partitions, 8u);
  EXPECT_DOUBLE_EQ(o.ru_per_second, 1000.5);
  EXPECT_EQ(o.data_dir, "/tmp/d");
  EXPECT_EQ(o.latency_ms, 5u);
  EXPECT_DOUBLE_EQ(o.fault_429, 0.1);
  EXPECT_DOUBLE_EQ(o.fault_503, 0.2);
  EXPECT_DOUBLE_EQ(o.fault_reset, 0.3);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.threads, 3u);
  EXPECT_EQ(o.fault_only, "PUT /dbs/d/colls/c/docs/x");
  EXPECT_EQ(o.fault_limit, 2u);
}

TEST(EmulatorOptions, BadValuesNameTheOptionAndWhatWasExpected) {
  struct bad_case {
    std::vector<std::string_view> args;
    std::string expected;
  };
  std::vector<bad_case> cases = {
      {{"--port", "70000"}, "--port: expected an integer 0..65535, got '70000'"},
      {{"--port", "x"}, "--port: expected an integer 0..65535, got 'x'"},
      {{"--partitions", "0"}, "--partitions: expected an integer 1..1024, got '0'"},
      {{"--ru-per-second", "-1"}, "--ru-per-second: expected a number >= 0 (0 = unlimited), got '-1'"},
      {{"--fault-429", "1.5"}, "--fault-429: expected a probability between 0 and 1, got '1.5'"},
      {{"--key", "not base64!"}, "--key: expected a base64 master key (the value is not valid base64)"},
      {{"--seed", "-3"}, "--seed: expected an unsigned 64-bit integer, got '-3'"},
      {{"--threads", "0"}, "--threads: expected an integer 1..256, got '0'"},
      {{"--fault-only", ""}, "--fault-only: expected the start of '<METHOD> <path>', e.g. 'PUT /dbs/db/colls/c/docs/id'"},
      {{"--fault-limit", "-1"}, "--fault-limit: expected an unsigned 64-bit integer (0 = no limit), got '-1'"},
      {{"--port"}, "--port: missing value"},
      {{"--bogus", "1"}, "unknown option --bogus (see --help)"},
      {{"stray"}, "unexpected argument 'stray' (options start with --)"},
      {{"--tls-cert", "c.pem"}, "--tls-cert: requires --tls-key as well"},
      {{"--fault-429", "0.6", "--fault-503", "0.6"},
       "--fault-429, --fault-503, --fault-reset: expected probabilities that add up to at most 1"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    EXPECT_FALSE(r.options) << c.expected;
    EXPECT_EQ(r.error, c.expected);
    EXPECT_EQ(r.error.find('\n'), std::string::npos);
  }
}

TEST(EmulatorOptions, HelpIsReportedWithoutError) {
  auto r = parse({"--port", "1", "--help"});
  EXPECT_TRUE(r.help);
  EXPECT_FALSE(usage().empty());
}

}  // namespace
}  // namespace idabus::emulator

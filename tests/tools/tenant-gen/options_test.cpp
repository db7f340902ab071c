#include "tools/tenant-gen/options.hpp"

#include "support/cosmos_emulator.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tg = idabus::tenant_gen;

namespace {

using idabus::test::emulator_key;
const std::string cs = idabus::test::connection_string_for("http://127.0.0.1:8081");

tg::options_result parse(std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return tg::parse_options(views);
}

}  // namespace

TEST(TenantGenOptions, DefaultsApplyWhenOnlyTheRequiredPartsAreGiven) {
  auto r = parse({cs, "tenant", "--documents", "2000"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->database, "tenant");
  EXPECT_EQ(r.options->documents, 2000u);
  EXPECT_EQ(r.options->seed, 1u);
  EXPECT_EQ(r.options->ru_budget, 0);
  EXPECT_FALSE(r.options->throughput);
  EXPECT_EQ(r.options->writers, 2u);
  EXPECT_EQ(r.options->batch, 100u);
  EXPECT_EQ(r.options->connection.endpoint, "http://127.0.0.1:8081/");
}

TEST(TenantGenOptions, AcceptsValuesAfterEqualsAndOptionsBeforePositionals) {
  auto r = parse({"--seed=7", "--documents=10", cs, "--ru-budget", "500.5", "tenant", "--throughput", "400",
                  "--writers=3", "--batch", "50"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->seed, 7u);
  EXPECT_EQ(r.options->documents, 10u);
  EXPECT_DOUBLE_EQ(r.options->ru_budget, 500.5);
  EXPECT_EQ(r.options->throughput, 400);
  EXPECT_EQ(r.options->writers, 3u);
  EXPECT_EQ(r.options->batch, 50u);
}

TEST(TenantGenOptions, MissingDocumentsIsNamed) {
  auto r = parse({cs, "tenant"});
  EXPECT_FALSE(r.options);
  EXPECT_NE(r.error.find("--documents"), std::string::npos) << r.error;
}

TEST(TenantGenOptions, BadNumbersNameTheOptionAndWhatWasExpected) {
  struct bad {
    std::vector<std::string> args;
    std::string option;
  };
  const std::vector<bad> cases = {
      {{"--documents", "0"}, "--documents"},      {{"--documents", "12x"}, "--documents"},
      {{"--seed", "-1"}, "--seed"},               {{"--ru-budget", "-5"}, "--ru-budget"},
      {{"--ru-budget", "nan"}, "--ru-budget"},    {{"--throughput", "100"}, "--throughput"},
      {{"--writers", "0"}, "--writers"},          {{"--batch", "101"}, "--batch"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{cs, "tenant", "--documents", "5"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = parse(args);
    EXPECT_FALSE(r.options) << c.args[0] << " " << c.args[1];
    EXPECT_EQ(r.error.rfind(c.option + ":", 0), 0u) << r.error;
    EXPECT_NE(r.error.find("expected"), std::string::npos) << r.error;
  }
}

TEST(TenantGenOptions, OptionWithoutValueIsNamed) {
  auto r = parse({cs, "tenant", "--documents"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.error, "--documents: expected a value");
}

TEST(TenantGenOptions, UnknownOptionIsNamed) {
  auto r = parse({cs, "tenant", "--documents", "5", "--colour", "red"});
  EXPECT_FALSE(r.options);
  EXPECT_NE(r.error.find("'--colour'"), std::string::npos) << r.error;
}

TEST(TenantGenOptions, BadConnectionStringIsNamedWithoutTheKey) {
  auto r = parse({idabus::test::connection_string_for("ftp://x"), "tenant", "--documents", "5"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.error.rfind("<connectionString>:", 0), 0u) << r.error;
  EXPECT_EQ(r.error.find(emulator_key), std::string::npos);
}

TEST(TenantGenOptions, MissingOrExtraPositionalsAreReported) {
  auto none = parse({"--documents", "5"});
  EXPECT_NE(none.error.find("<connectionString>"), std::string::npos) << none.error;
  auto one = parse({cs, "--documents", "5"});
  EXPECT_NE(one.error.find("<database>"), std::string::npos) << one.error;
  auto three = parse({cs, "tenant", "extra", "--documents", "5"});
  EXPECT_NE(three.error.find("'extra'"), std::string::npos) << three.error;
  auto bad_db = parse({cs, "a/b", "--documents", "5"});
  EXPECT_EQ(bad_db.error.rfind("<database>:", 0), 0u) << bad_db.error;
}

TEST(TenantGenOptions, HelpIsRecognised) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({cs, "-h"}).help);
  EXPECT_NE(tg::usage().find("--documents N"), std::string::npos);
}

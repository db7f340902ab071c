#include "tools/idabus-engine/auth.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(ApiKeys, AcceptsAnyConfiguredKeyAsBearer) {
  api_keys keys({"alpha", "beta"});
  EXPECT_TRUE(keys.authorizes("Bearer alpha"));
  EXPECT_TRUE(keys.authorizes("bearer beta"));
}

TEST(ApiKeys, RejectsWrongMissingOrMalformedCredentials) {
  api_keys keys({"alpha"});
  EXPECT_FALSE(keys.authorizes(""));
  EXPECT_FALSE(keys.authorizes("Bearer "));
  EXPECT_FALSE(keys.authorizes("Bearer alph"));
  EXPECT_FALSE(keys.authorizes("Bearer alphaa"));
  EXPECT_FALSE(keys.authorizes("Basic alpha"));
  EXPECT_FALSE(keys.authorizes("alpha"));
}

}  // namespace
}  // namespace idabus::engine

// Skips that a CI run must not take. CI (the CI environment variable, set by
// .ci/run and by CI services) turns them into failures: on the CI machine
// every tool and file these tests need is installed by ./setup.sh or fetched
// by the tests, so a skip there means something is broken, not absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace kreg::test {

// CI is set and not "0"/"false" (CI services set CI=true; .ci/run sets CI=1).
inline bool on_ci() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr || *ci == '\0') return false;
  const std::string v = ci;
  return v != "0" && v != "false";
}

}  // namespace kreg::test

// Skips the test with the message streamed into it, or fails it under CI:
//   KREG_SKIP_OR_FAIL_ON_CI("rpmbuild not installed (./setup.sh installs rpm)");
// The message names the missing thing and how to get it.
#define KREG_SKIP_OR_FAIL_ON_CI(message)                                                                      \
  do {                                                                                                        \
    const std::string kreg_skip_message_ = (::testing::Message() << message).GetString();                     \
    if (::kreg::test::on_ci()) GTEST_FAIL() << kreg_skip_message_ << " (CI is set: this may not skip on CI)"; \
    GTEST_SKIP() << kreg_skip_message_;                                                                       \
  } while (0)

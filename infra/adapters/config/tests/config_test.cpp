#include "choreo/config/options.hpp"
#include "choreo/config/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

namespace choreo::config {
namespace {

using namespace std::chrono_literals;

// Environment variable names unique to this test binary, removed after each test.
class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"CHOREO_CONFIG_TEST_PORT", "CHOREO_CONFIG_TEST_URL", "CHOREO_CONFIG_TEST_WAIT"}) {
      unsetenv(name);
    }
  }

  static Options Make() {
    Options options("worker", "Does work.");
    options.Add("port", "CHOREO_CONFIG_TEST_PORT", "9100", "Admin port.")
        .Add("amqp-url", "CHOREO_CONFIG_TEST_URL", "amqp://guest:guest@127.0.0.1:5672", "Broker URL.")
        .Add("wait", "CHOREO_CONFIG_TEST_WAIT", "5s", "How long to wait.")
        .Add("name", "", "", "A name.")
        .AddFlag("json", "Print JSON.");
    return options;
  }

  static void Parse(Options& options, std::vector<const char*> args) {
    args.insert(args.begin(), "worker");
    options.Parse(static_cast<int>(args.size()), args.data());
  }
};

TEST_F(ConfigTest, DefaultsApplyWithoutFlagsOrEnvironment) {
  Options options = Make();
  Parse(options, {});
  EXPECT_EQ(options.Get("port"), "9100");
  EXPECT_EQ(options.GetInt("port"), 9100);
  EXPECT_EQ(options.Get("name"), "");
  EXPECT_FALSE(options.GetFlag("json"));
  EXPECT_TRUE(options.Positional().empty());
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsDefault) {
  setenv("CHOREO_CONFIG_TEST_PORT", "9200", 1);
  Options options = Make();
  Parse(options, {});
  EXPECT_EQ(options.GetInt("port"), 9200);
  Parse(options, {"--port=9300"});
  EXPECT_EQ(options.GetInt("port"), 9300);
  Parse(options, {"--port", "9400"});
  EXPECT_EQ(options.GetInt("port"), 9400);
  // The environment is read at Parse, and an empty variable counts as unset.
  setenv("CHOREO_CONFIG_TEST_PORT", "", 1);
  Parse(options, {});
  EXPECT_EQ(options.GetInt("port"), 9100);
}

TEST_F(ConfigTest, LastFlagWinsAndPositionalArgumentsAreKept) {
  Options options = Make();
  Parse(options, {"a", "--port=1", "b", "--json", "--port", "2", "-", "--", "--json", "c"});
  EXPECT_EQ(options.GetInt("port"), 2);
  EXPECT_TRUE(options.GetFlag("json"));
  EXPECT_EQ(options.Positional(), (std::vector<std::string>{"a", "b", "-", "--json", "c"}));
  Parse(options, {"--json=false", "--name="});
  EXPECT_FALSE(options.GetFlag("json"));
  EXPECT_EQ(options.Get("name"), "");
  EXPECT_TRUE(options.Positional().empty());
}

TEST_F(ConfigTest, ParseErrorsAreUsageErrors) {
  Options options = Make();
  EXPECT_THROW(Parse(options, {"--nope"}), UsageError);
  EXPECT_THROW(Parse(options, {"-p"}), UsageError);
  EXPECT_THROW(Parse(options, {"--port"}), UsageError);
  EXPECT_THROW(Parse(options, {"--port", "--json"}), UsageError);
  EXPECT_THROW(Parse(options, {"--json=maybe"}), UsageError);
  try {
    Parse(options, {"--nope=1"});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--nope"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigTest, GetIntNamesTheOption) {
  setenv("CHOREO_CONFIG_TEST_PORT", "90x", 1);
  Options options = Make();
  Parse(options, {});
  try {
    options.GetInt("port");
    FAIL();
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--port"), std::string::npos) << what;
    EXPECT_NE(what.find("CHOREO_CONFIG_TEST_PORT"), std::string::npos) << what;
    EXPECT_NE(what.find("90x"), std::string::npos) << what;
  }
  Parse(options, {"--port=-5"});
  EXPECT_EQ(options.GetInt("port"), -5);
}

TEST_F(ConfigTest, Durations) {
  Options options = Make();
  const std::vector<std::pair<const char*, std::chrono::milliseconds>> cases = {
      {"--wait=250ms", 250ms}, {"--wait=5s", 5s}, {"--wait=2m", 2min}, {"--wait=1h", 1h}, {"--wait=1500", 1500ms},
      {"--wait=0", 0ms}};
  for (const auto& [arg, expected] : cases) {
    Parse(options, {arg});
    EXPECT_EQ(options.GetDuration("wait"), expected) << arg;
  }
  for (const char* bad : {"--wait=", "--wait=5x", "--wait=1.5s", "--wait=-1s", "--wait=s", "--wait=5 s",
                          "--wait=99999999999999999h"}) {
    Parse(options, {bad});
    EXPECT_THROW(options.GetDuration("wait"), UsageError) << bad;
  }
}

TEST_F(ConfigTest, UndeclaredAndRepeatedNamesAreProgrammingErrors) {
  Options options = Make();
  EXPECT_THROW(options.Get("missing"), std::invalid_argument);
  EXPECT_THROW(options.Add("port", "", "", ""), std::invalid_argument);
  EXPECT_THROW(options.AddFlag("--dash", ""), std::invalid_argument);
  EXPECT_THROW(options.AddFlag("a=b", ""), std::invalid_argument);
  EXPECT_THROW(options.GetFlag("port"), UsageError);
}

TEST_F(ConfigTest, EffectiveRedactsPasswordsInEveryOption) {
  setenv("CHOREO_CONFIG_TEST_URL", "amqp://app:s3cr/et@broker:5672/vh", 1);
  Options options = Make();
  options.Add("store-url", "", "postgresql://u@db/x?sslmode=disable&password=hunter2", "Store.")
      .Add("dsn", "", "host=db password=hunter3", "Not named like a URL, still redacted.")
      .Add("password-hint", "", "not:a@url", "Holds no password, so untouched.");
  Parse(options, {"--json"});
  const auto effective = options.Effective();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"port", "9100"},
      {"amqp-url", "amqp://app:***@broker:5672/vh"},
      {"wait", "5s"},
      {"name", ""},
      {"json", "true"},
      {"store-url", "postgresql://u@db/x?sslmode=disable&password=***"},
      {"dsn", "host=db password=***"},
      {"password-hint", "not:a@url"}};
  EXPECT_EQ(effective, expected);
  // Get still returns the real value.
  EXPECT_EQ(options.Get("amqp-url"), "amqp://app:s3cr/et@broker:5672/vh");
}

TEST_F(ConfigTest, UsageListsOptionsWithEnvironmentAndDefaults) {
  const std::string usage = Make().Usage();
  EXPECT_NE(usage.find("Usage: worker [options]\nDoes work.\n"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--port <value>"), std::string::npos) << usage;
  EXPECT_NE(usage.find("Admin port. [env CHOREO_CONFIG_TEST_PORT, default 9100]"), std::string::npos) << usage;
  EXPECT_NE(usage.find("default amqp://guest:***@127.0.0.1:5672]"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--json "), std::string::npos) << usage;
  EXPECT_NE(usage.find("Print JSON.\n"), std::string::npos) << usage;
}

TEST_F(ConfigTest, AnOptionWithoutEnvironmentVariableTakesOnlyItsFlag) {
  setenv("CHOREO_CONFIG_TEST_PORT", "1", 1);
  Options options("load", "Loads.");
  options.Add("port", "9100", "Port.");
  Parse(options, {});
  EXPECT_EQ(options.Get("port"), "9100");
  Parse(options, {"--port=7"});
  EXPECT_EQ(options.Get("port"), "7");
  EXPECT_EQ(options.Usage().find("env "), std::string::npos) << options.Usage();
}

// What RunProcess did: which steps ran, and the exit code.
struct ProcessRun {
  int code = -1;
  bool read = false, ran = false, failed = false;
};

ProcessRun RunWith(std::vector<const char*> args, const std::function<void()>& read,
                   const std::function<int()>& run) {
  Options flags("prog", "Does it.");
  flags.Add("count", "", "1", "How many.").AddFlag("help", "This text.");
  args.insert(args.begin(), "prog");
  ProcessRun result;
  result.code = RunProcess(flags, static_cast<int>(args.size()), args.data(),
                           {.read =
                                [&] {
                                  result.read = true;
                                  flags.GetInt("count");
                                  read();
                                },
                            .run =
                                [&] {
                                  result.ran = true;
                                  return run();
                                },
                            .failed = [&](const std::exception&) { result.failed = true; }});
  return result;
}

TEST(RunProcess, RunsAndReturnsTheRunsExitCode) {
  const ProcessRun r = RunWith({"--count=2"}, [] {}, [] { return 3; });
  EXPECT_TRUE(r.read && r.ran && !r.failed);
  EXPECT_EQ(r.code, 3);
}

TEST(RunProcess, HelpPrintsTheUsageAndRunsNothing) {
  const ProcessRun r = RunWith({"--help"}, [] {}, [] { return 3; });
  EXPECT_FALSE(r.read || r.ran || r.failed);
  EXPECT_EQ(r.code, kExitOk);
}

TEST(RunProcess, UsageErrorsOfTheCommandLineAndOfReadingExitWithTwo) {
  const ProcessRun unknown = RunWith({"--nope"}, [] {}, [] { return 0; });
  EXPECT_FALSE(unknown.read || unknown.ran);
  EXPECT_EQ(unknown.code, kExitUsage);
  const ProcessRun not_a_number = RunWith({"--count=x"}, [] {}, [] { return 0; });
  EXPECT_FALSE(not_a_number.ran);
  EXPECT_EQ(not_a_number.code, kExitUsage);
  const ProcessRun invalid = RunWith({}, [] { throw std::invalid_argument("bad option"); }, [] { return 0; });
  EXPECT_FALSE(invalid.ran);
  EXPECT_EQ(invalid.code, kExitUsage);
}

TEST(RunProcess, AnExceptionEscapingTheRunIsReportedAndExitsWithOne) {
  const ProcessRun r = RunWith({}, [] {}, []() -> int { throw std::runtime_error("broker gone"); });
  EXPECT_TRUE(r.ran && r.failed);
  EXPECT_EQ(r.code, kExitFailed);
  // An invalid_argument from the run is a failure of the run, not a usage error.
  const ProcessRun late = RunWith({}, [] {}, []() -> int { throw std::invalid_argument("late"); });
  EXPECT_TRUE(late.failed);
  EXPECT_EQ(late.code, kExitFailed);
}

}  // namespace
}  // namespace choreo::config

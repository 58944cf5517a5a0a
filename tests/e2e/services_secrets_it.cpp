// The processes infra/up starts, started the way infra/up starts them: infra/services read
// by services_start of infra/lib/system.sh, then services_stop as infra/down does. The
// broker URL and every store URL carry passwords of their own (a broker user made for
// this test; PostgreSQL trusts 127.0.0.1, so it ignores the store passwords). Every
// service must become ready, so the passwords did reach it, through its environment, and
// no password may appear on any process's command line (what `ps -eo args` shows to every
// user) or in the start output and the services' logs.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <Poco/Exception.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "choreo/amqp/options.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "infra_shell.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::vector<std::string> kServices = {"provider",       "order-worker",        "inventory-worker", "payment-worker",
                                            "shipping-worker", "notification-worker", "gateway"};

std::string RandomSecret(const std::string& prefix) {
  std::random_device random;
  std::ostringstream out;
  out << prefix << std::hex << random() << random();
  return out.str();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// /proc/<pid>/cmdline with the NULs between arguments shown as blanks, as ps does.
std::string CommandLine(const std::string& pid) {
  std::string text = ReadFile("/proc/" + pid + "/cmdline");
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

// Exited: no such process, or a zombie nobody reaped yet (the services are orphans,
// reparented once the starting shell exits).
bool Gone(const std::string& pid) {
  const std::string stat = ReadFile("/proc/" + pid + "/stat");
  const std::size_t close = stat.rfind(") ");
  return close == std::string::npos || stat[close + 2] == 'Z' || stat[close + 2] == 'X';
}

// 0 while nothing answers.
int HttpStatus(int port, const std::string& path) {
  try {
    return testing::Request(static_cast<std::uint16_t>(port), "GET", path).status;
  } catch (const Poco::Exception&) {
    return 0;
  }
}

// A broker user of its own, with a password only this test knows, on `vhost`.
class TestUser {
 public:
  explicit TestUser(const std::string& vhost)
      : name_(testing::UniqueName("svc-secrets")), password_(RandomSecret("amqp-pw-")) {
    std::string body;
    int status = testing::ManagementRequest("PUT", "/api/users/" + testing::UrlEncode(name_),
                                            R"({"password":")" + password_ + R"(","tags":""})", &body);
    if (status / 100 != 2) throw std::runtime_error("creating user: HTTP " + std::to_string(status) + " " + body);
    status = testing::ManagementRequest(
        "PUT", "/api/permissions/" + testing::UrlEncode(vhost) + "/" + testing::UrlEncode(name_),
        R"({"configure":".*","write":".*","read":".*"})", &body);
    if (status / 100 != 2) throw std::runtime_error("granting user: HTTP " + std::to_string(status) + " " + body);
  }
  ~TestUser() {
    try {
      testing::ManagementRequest("DELETE", "/api/users/" + testing::UrlEncode(name_), "");
    } catch (...) {
      // Best effort: a leftover user on the throwaway test node harms nothing.
    }
  }
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  const std::string& Name() const { return name_; }
  const std::string& Password() const { return password_; }

 private:
  std::string name_;
  std::string password_;
};

class ServicesSecretsIt : public ::testing::Test {
 protected:
  void SetUp() override {
    var_dir_ = fs::temp_directory_path() / ("choreo-services-" + testing::UniqueName("it"));
    fs::create_directories(var_dir_);
    build_dir_ = fs::read_symlink("/proc/self/exe").parent_path().parent_path();
  }

  void TearDown() override {
    // Whatever happened above, nothing this test started may outlive it.
    if (started_) {
      RunShell("services_stop", var_dir_ / "stop.out");
      for (const auto& [name, pid] : Pids()) {
        if (!Gone(pid)) ::kill(std::stoi(pid), SIGKILL);
      }
    }
    std::error_code ignored;
    if (std::getenv("CHOREO_E2E_KEEP") == nullptr) fs::remove_all(var_dir_, ignored);
  }

  // Runs `function` of infra/lib/system.sh as infra/up would, with env_ as the only
  // CHOREO_* configuration and stdout + stderr in `output`.
  int RunShell(const std::string& function, const fs::path& output) {
    return RunInfraShell(function, env_, output);
  }

  // name -> pid from the pid files services_start wrote.
  std::map<std::string, std::string> Pids() const {
    std::map<std::string, std::string> pids;
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(var_dir_ / "run", ignored)) {
      if (entry.path().extension() != ".pid") continue;
      std::istringstream in(ReadFile(entry.path()));
      std::string pid;
      if (in >> pid) pids[entry.path().stem().string()] = pid;
    }
    return pids;
  }

  std::string LogTails() const {
    std::string out;
    for (const auto& name : kServices) {
      std::string text = ReadFile(var_dir_ / "log" / (name + ".log"));
      out += "---- " + name + "\n" + text.substr(text.size() > 1500 ? text.size() - 1500 : 0);
    }
    return out;
  }

  fs::path var_dir_;
  fs::path build_dir_;
  std::map<std::string, std::string> env_;
  bool started_ = false;
};

TEST_F(ServicesSecretsIt, PasswordsReachTheServicesThroughTheEnvironmentOnly) {
  testing::TestVhost vhost("svc-secrets");
  TestUser user(vhost.Name());
  const amqp::AmqpUrl broker = amqp::ParseUrl(testing::RequireEnv("CHOREO_TEST_AMQP_URL"));
  const std::string amqp_url = "amqp://" + user.Name() + ":" + user.Password() + "@" + broker.host + ":" +
                               std::to_string(broker.port) + "/" + testing::UrlEncode(vhost.Name());

  // One PostgreSQL schema per component, its URL with a password: in the user info for
  // some, as ?password= for the others, the two forms a store URL can carry one in.
  const std::string db_password = RandomSecret("db-pw-");
  const std::map<std::string, std::string> store_variables = {
      {"gateway", "CHOREO_GATEWAY_STORE_URL"},     {"order", "CHOREO_ORDER_STORE_URL"},
      {"inventory", "CHOREO_INVENTORY_STORE_URL"}, {"payment", "CHOREO_PAYMENT_STORE_URL"},
      {"shipping", "CHOREO_SHIPPING_STORE_URL"},   {"notification", "CHOREO_NOTIFICATION_STORE_URL"},
      {"provider", "CHOREO_PROVIDER_STORE_URL"}};
  std::vector<std::unique_ptr<testing::TestDatabase>> databases;
  bool in_user_info = true;
  for (const auto& [component, variable] : store_variables) {
    databases.push_back(std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, component));
    std::string url = databases.back()->Url();
    const std::size_t at = url.find('@');
    ASSERT_NE(at, std::string::npos) << "CHOREO_TEST_PG_URL names no user: " << url;
    if (in_user_info) {
      url.insert(at, ":" + db_password);
    } else {
      url += "&password=" + db_password;
    }
    in_user_info = !in_user_info;
    env_[variable] = url;
  }

  const std::map<std::string, std::string> port_variables = {
      {"provider", "CHOREO_PROVIDER_PORT"},
      {"gateway", "CHOREO_GATEWAY_PORT"},
      {"order-worker", "CHOREO_ORDER_HTTP_PORT"},
      {"inventory-worker", "CHOREO_INVENTORY_HTTP_PORT"},
      {"payment-worker", "CHOREO_PAYMENT_HTTP_PORT"},
      {"shipping-worker", "CHOREO_SHIPPING_HTTP_PORT"},
      {"notification-worker", "CHOREO_NOTIFICATION_HTTP_PORT"}};
  std::map<std::string, int> ports;
  for (const auto& [name, variable] : port_variables) {
    ports[name] = FreePort();
    env_[variable] = std::to_string(ports[name]);
  }
  env_["CHOREO_AMQP_URL"] = amqp_url;
  env_["CHOREO_VAR_DIR"] = var_dir_.string();
  env_["CHOREO_BUILD_DIR"] = build_dir_.string();
  env_["CHOREO_LOG_LEVEL"] = "debug";  // the most log lines that could leak

  started_ = true;
  ASSERT_EQ(RunShell("services_start", var_dir_ / "start.out"), 0) << ReadFile(var_dir_ / "start.out");
  const std::map<std::string, std::string> pids = Pids();
  ASSERT_EQ(pids.size(), kServices.size()) << ReadFile(var_dir_ / "start.out");

  // Ready means connected to the broker and the store: the passwords arrived.
  for (const auto& name : kServices) {
    const std::string path = name == "provider" ? "/healthz" : "/readyz";
    EXPECT_TRUE(testing::WaitFor([&] { return HttpStatus(ports[name], path) == 200; }, 60s, 50ms))
        << name << " is not ready on port " << ports[name] << "\n" << LogTails();
  }

  const std::vector<std::string> secrets = {user.Password(), db_password};
  for (const auto& [name, pid] : pids) {
    const std::string command_line = CommandLine(pid);
    EXPECT_EQ(command_line.rfind((build_dir_ / "bin").string() + "/" + name, 0), 0)
        << name << " runs something else: " << command_line;
    for (const auto& secret : secrets) {
      EXPECT_EQ(command_line.find(secret), std::string::npos) << name << ": " << command_line;
    }
  }
  // What `ps -eo args` shows: every process on the machine, not only those named above.
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string command_line = CommandLine(pid);
    for (const auto& secret : secrets) {
      EXPECT_EQ(command_line.find(secret), std::string::npos) << "pid " << pid << ": " << command_line;
    }
  }

  // The start output names each service and its environment variables, not their values.
  const std::string start_output = ReadFile(var_dir_ / "start.out");
  EXPECT_NE(start_output.find("starting order-worker: "), std::string::npos) << start_output;
  EXPECT_NE(start_output.find("(environment: CHOREO_STORE_URL)"), std::string::npos) << start_output;
  for (const auto& secret : secrets) {
    EXPECT_EQ(start_output.find(secret), std::string::npos) << start_output;
  }
  // Each service logs its URLs at start, with the passwords masked.
  for (const auto& name : kServices) {
    const std::string log = ReadFile(var_dir_ / "log" / (name + ".log"));
    EXPECT_NE(log.find("***"), std::string::npos) << name << " logged no redacted URL:\n" << log;
    for (const auto& secret : secrets) {
      EXPECT_EQ(log.find(secret), std::string::npos) << name << " logged a password:\n" << log;
    }
  }

  EXPECT_EQ(RunShell("services_stop", var_dir_ / "stop.out"), 0) << ReadFile(var_dir_ / "stop.out");
  for (const auto& [name, pid] : pids) {
    EXPECT_TRUE(testing::WaitFor([&] { return Gone(pid); }, 20s, 20ms)) << name << " still runs";
  }
  EXPECT_TRUE(Pids().empty());
  started_ = false;
}

}  // namespace
}  // namespace choreo::e2e

// Supervision of what infra/up starts (infra/lib/supervise, service_supervise of
// infra/lib/system.sh), with the real shell library in a var dir of its own:
//   - a real worker (shipping-worker on SQLite and the test broker) killed with SIGKILL is
//     running again, under a new pid and answering /healthz, within seconds, with no
//     action by the test;
//   - a command that exits at once is restarted after 0.5, 1, 2, 4 s, then reported as a
//     crash loop (its log, its state, infra/status) and retried only at the long backoff;
//   - the run record infra/up writes is owner-only and reads back in choreo-admin's reader.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/admin/run_record.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/testing/testing.hpp"
#include "infra_shell.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

bool Alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // A zombie has exited: its stat says Z.
  const std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(") ");
  return close != std::string::npos && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

int HealthStatus(int port) {
  try {
    return HttpGet(port, "/healthz", 2s).status;
  } catch (const std::exception&) {
    return 0;
  }
}

class SupervisionIt : public ::testing::Test {
 protected:
  void SetUp() override {
    var_dir_ = fs::temp_directory_path() / ("choreo-supervision-" + testing::UniqueName("it"));
    fs::create_directories(var_dir_);
    env_["CHOREO_VAR_DIR"] = var_dir_.string();
    env_["CHOREO_BUILD_DIR"] = fs::read_symlink("/proc/self/exe").parent_path().parent_path().string();
  }

  void TearDown() override {
    // Whatever happened above, nothing this test started may outlive it: the supervisors
    // first (else they restart what is killed), then the processes.
    RunInfraShell("services_stop", env_, var_dir_ / "teardown.out");
    for (const auto& name : started_) {
      for (const char* key : {"supervisor_pid", "pid"}) {
        const int pid = StateInt(name, key);
        if (Alive(pid)) ::kill(pid, SIGKILL);
      }
    }
    std::error_code ignored;
    if (std::getenv("CHOREO_E2E_KEEP") == nullptr) fs::remove_all(var_dir_, ignored);
  }

  // Starts infra/services' line of `service` (or `line` under `name`) supervised, as
  // infra/up does, inside a run record of the embedded profile.
  void StartSupervised(const std::string& name, const std::string& line = "") {
    started_.push_back(name);
    const std::string start =
        line.empty() ? "while read -r n l; do if [ \"$n\" = " + name + " ]; then service_supervise \"$n\" \"$l\"; fi; done < <(service_lines)"
                     : "service_supervise " + name + " '" + line + "'";
    const std::string script = "mkdir -p \"$VAR_DIR\"/{run,log,data}; record_begin embedded; " + start + "; record_end";
    ASSERT_EQ(RunInfraShell(script, env_, var_dir_ / "start.out"), 0) << ReadWholeFile(var_dir_ / "start.out");
  }

  // key=value of run/<name>.state ("" when absent).
  std::string State(const std::string& name, const std::string& key) const {
    std::istringstream in(ReadWholeFile(var_dir_ / "run" / (name + ".state")));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    }
    return "";
  }
  int StateInt(const std::string& name, const std::string& key) const {
    const std::string v = State(name, key);
    return v.empty() ? 0 : std::stoi(v);
  }

  // The service's pid file (the supervisor rewrites it at each start): its pid, 0 if none.
  int PidOf(const std::string& name) const {
    std::istringstream in(ReadWholeFile(var_dir_ / "run" / (name + ".pid")));
    int pid = 0;
    in >> pid;
    return pid;
  }

  // infra/status --json, the entry of `name`.
  json StatusOf(const std::string& name) {
    const fs::path out = var_dir_ / "status.json";
    fs::remove(out);
    EXPECT_EQ(RunInfraShell("infra/status --json", env_, out), 0) << ReadWholeFile(out);
    json all = json::parse(ReadWholeFile(out), nullptr, false);
    if (!all.is_array()) {
      ADD_FAILURE() << "infra/status --json printed no JSON list:\n" << ReadWholeFile(out);
      return json();
    }
    for (const json& entry : all) {
      if (entry.value("name", "") == name) return entry;
    }
    ADD_FAILURE() << name << " is not in infra/status --json:\n" << all.dump(2);
    return json();
  }

  // The supervisor's JSON lines in the service's log.
  std::vector<json> SupervisorNotes(const std::string& name) const {
    std::vector<json> notes;
    std::istringstream in(ReadWholeFile(var_dir_ / "log" / (name + ".log")));
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("logger", "") == "supervisor") notes.push_back(j);
    }
    return notes;
  }

  fs::path var_dir_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> started_;
};

TEST_F(SupervisionIt, AWorkerKilledWithSigkillRunsAgainWithinSeconds) {
  testing::TestVhost vhost("supervise");
  const int port = FreePort();
  env_["CHOREO_AMQP_URL"] = vhost.AmqpUrl();
  env_["CHOREO_SHIPPING_HTTP_PORT"] = std::to_string(port);
  StartSupervised("shipping-worker");

  ASSERT_TRUE(testing::WaitFor([&] { return HealthStatus(port) == 200; }, 60s, 50ms))
      << ReadWholeFile(var_dir_ / "log" / "shipping-worker.log");
  const int first = PidOf("shipping-worker");
  const int supervisor = StateInt("shipping-worker", "supervisor_pid");
  ASSERT_TRUE(Alive(first));
  ASSERT_TRUE(Alive(supervisor));
  EXPECT_NE(ReadWholeFile("/proc/" + std::to_string(first) + "/cmdline").find("shipping-worker"), std::string::npos);

  ASSERT_EQ(::kill(first, SIGKILL), 0);
  const auto killed_at = std::chrono::steady_clock::now();
  int second = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        second = PidOf("shipping-worker");
        return second != first && Alive(second) && HealthStatus(port) == 200;
      },
      10s, 50ms))
      << "no new shipping-worker answering /healthz 10 s after SIGKILL\n"
      << ReadWholeFile(var_dir_ / "log" / "shipping-worker.log");
  const auto back_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  std::cerr << "shipping-worker back after " << back_after.count() << " ms (pid " << first << " -> " << second << ")\n";
  EXPECT_FALSE(Alive(first));
  EXPECT_EQ(StateInt("shipping-worker", "supervisor_pid"), supervisor) << "the same supervisor restarted it";

  const json status = StatusOf("shipping-worker");
  EXPECT_EQ(status.value("kind", ""), "worker");
  EXPECT_EQ(status.value("pid", 0), second);
  EXPECT_EQ(status.value("port", 0), port);
  EXPECT_EQ(status.value("alive", false), true);
  EXPECT_EQ(status.value("restarts", -1), 1);
  EXPECT_EQ(status.value("state", ""), "running");
  bool noted = false;
  for (const json& n : SupervisorNotes("shipping-worker")) {
    if (n.value("msg", "").find("killed by signal 9") != std::string::npos) noted = true;
  }
  EXPECT_TRUE(noted) << "the supervisor did not log the SIGKILL";

  // infra/down's way: the supervisor stops first and restarts nothing.
  ASSERT_EQ(RunInfraShell("services_stop", env_, var_dir_ / "stop.out"), 0) << ReadWholeFile(var_dir_ / "stop.out");
  EXPECT_FALSE(Alive(second));
  EXPECT_FALSE(Alive(supervisor));
  EXPECT_FALSE(fs::exists(var_dir_ / "run" / "shipping-worker.pid")) << "something started again";
  EXPECT_EQ(HealthStatus(port), 0);
}

TEST_F(SupervisionIt, ACrashLoopIsSpacedByBackoffReportedAndRetriedOnlySlowly) {
  StartSupervised("crasher", "/bin/false");
  ASSERT_TRUE(testing::WaitFor([&] { return State("crasher", "state") == "crash-loop"; }, 25s, 50ms))
      << ReadWholeFile(var_dir_ / "run" / "crasher.state") << ReadWholeFile(var_dir_ / "log" / "crasher.log");

  // Each exit announces its delay; the next start comes no sooner, and the delays double.
  std::vector<long long> delays;
  std::optional<contracts::Millis> exited_at;
  long long announced = 0;
  bool loop_logged = false;
  for (const json& n : SupervisorNotes("crasher")) {
    const std::string msg = n.value("msg", "");
    const auto at = contracts::ParseRfc3339(n.value("ts", ""));
    ASSERT_TRUE(at) << n.dump();
    if (auto p = msg.find("restart in "); p != std::string::npos) {
      announced = std::stoll(msg.substr(p + 11));
      delays.push_back(announced);
      exited_at = at;
    } else if (msg.find("restarted") != std::string::npos) {
      ASSERT_TRUE(exited_at) << msg;
      EXPECT_GE((*at - *exited_at).count(), announced) << "restarted before its backoff: " << msg;
    } else if (msg.find("crash loop") != std::string::npos) {
      loop_logged = true;
      EXPECT_NE(msg.find("next attempt in 30000 ms"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(delays, (std::vector<long long>{500, 1000, 2000, 4000}));
  EXPECT_TRUE(loop_logged) << ReadWholeFile(var_dir_ / "log" / "crasher.log");

  const json status = StatusOf("crasher");
  EXPECT_EQ(status.value("state", ""), "crash-loop");
  EXPECT_EQ(status.value("alive", true), false);
  EXPECT_EQ(status.value("restarts", -1), 4);
  // Retried only at the long backoff, never in a tight loop.
  const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GE(std::stoll(State("crasher", "next_start_ms")) - now_ms, 25000);

  // Stopping does not wait out the backoff.
  const int supervisor = StateInt("crasher", "supervisor_pid");
  const auto stop_at = std::chrono::steady_clock::now();
  ASSERT_EQ(RunInfraShell("services_stop", env_, var_dir_ / "stop.out"), 0) << ReadWholeFile(var_dir_ / "stop.out");
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, 5s);
  EXPECT_FALSE(Alive(supervisor));
}

TEST_F(SupervisionIt, TheRunRecordIsTheOwnersOnlyAndReadsBackInChoreoAdmin) {
  // A store URL with a password, as a user may give one: it reaches the record (for
  // choreo-admin) and nothing else.
  const std::string script =
      "mkdir -p \"$VAR_DIR/run\"; record_begin cluster; record_line amqp_url amqp://guest:guest@127.0.0.1:1/,amqp://guest:guest@127.0.0.1:2/; "
      "record_line mgmt_url http://127.0.0.1:3,http://127.0.0.1:4; "
      "service_expand order-worker-1 'CHOREO_STORE_URL=postgresql://choreo:pw-123@db:5432/o /bin/true --http-port 9101'; "
      "record_service order-worker-1; "
      "service_expand order-worker-2 'CHOREO_STORE_URL=postgresql://choreo:pw-123@db:5432/o /bin/true --http-port 9201'; "
      "record_service order-worker-2; "
      "service_expand gateway-1 \"CHOREO_STORE_URL=sqlite:$VAR_DIR/data/missing.db /bin/true --port 8080\"; "
      "record_service gateway-1; record_end";
  ASSERT_EQ(RunInfraShell(script, env_, var_dir_ / "record.out"), 0) << ReadWholeFile(var_dir_ / "record.out");

  const fs::path file = admin::RunRecordPath(var_dir_.string());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const auto record = admin::ReadRunRecord(file);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->profile, "cluster");
  EXPECT_EQ(record->amqp_url, "amqp://guest:guest@127.0.0.1:1/,amqp://guest:guest@127.0.0.1:2/");
  EXPECT_EQ(record->mgmt_url, "http://127.0.0.1:3,http://127.0.0.1:4");
  EXPECT_EQ(record->stores, (std::map<std::string, std::string>{
                                {"order", "postgresql://choreo:pw-123@db:5432/o"},
                                {"gateway", "sqlite:" + (var_dir_ / "data" / "missing.db").string()}}));
  EXPECT_EQ(ReadWholeFile(var_dir_ / "record.out").find("pw-123"), std::string::npos);
  EXPECT_FALSE(admin::ReadRunRecord(var_dir_ / "nowhere" / "record"));

  // choreo-admin itself, given no URL, takes the recorded store: its error names that file.
  const fs::path out = var_dir_ / "admin.out";
  EXPECT_NE(RunInfraShell("\"$CHOREO_BUILD_DIR/bin/choreo-admin\" outbox status --component gateway", env_, out), 0);
  EXPECT_NE(ReadWholeFile(out).find((var_dir_ / "data" / "missing.db").string()), std::string::npos) << ReadWholeFile(out);
}

}  // namespace
}  // namespace choreo::e2e

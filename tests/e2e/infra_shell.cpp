#include "infra_shell.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "choreo/testing/testing.hpp"

extern char** environ;

namespace choreo::e2e {

int ForkWithOutputTo(const std::filesystem::path& output) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
  }
  return pid;
}

int RunInfraShell(const std::string& commands, const std::map<std::string, std::string>& env,
                  const std::filesystem::path& output, std::chrono::seconds timeout) {
  const std::string script =
      "set -euo pipefail; source infra/lib/common.sh; source infra/lib/system.sh; " + commands;
  const pid_t pid = ForkWithOutputTo(output);
  if (pid == 0) {
    if (::chdir(CHOREO_SOURCE_DIR) != 0) _exit(126);
    // Only the test's configuration: a CHOREO_* variable of the calling shell must not
    // change what starts.
    for (char** e = environ; *e != nullptr;) {
      std::string entry(*e);
      if (entry.rfind("CHOREO_", 0) == 0) {
        ::unsetenv(entry.substr(0, entry.find('=')).c_str());
      } else {
        ++e;
      }
    }
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execl("/bin/bash", "bash", "-c", script.c_str(), "infra-shell", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (!testing::WaitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; },
                        std::chrono::duration_cast<std::chrono::milliseconds>(timeout),
                        std::chrono::milliseconds(20))) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace choreo::e2e

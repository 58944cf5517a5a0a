#include "choreo/testing/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace choreo::testing {

TcpProxy::TcpProxy(std::string target_host, std::uint16_t target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("proxy: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("proxy: bind/listen failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  Close();
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> pumps;
  {
    std::lock_guard lock(mutex_);
    pumps.swap(pumps_);
  }
  for (auto& pump : pumps) {
    if (pump.joinable()) pump.join();
  }
  ::close(listen_fd_);
}

void TcpProxy::Open() { open_ = true; }

void TcpProxy::Close() {
  open_ = false;
  std::lock_guard lock(mutex_);
  for (int fd : active_) ::shutdown(fd, SHUT_RDWR);
}

void TcpProxy::AcceptLoop() {
  while (!stop_) {
    pollfd poll_fd{listen_fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, 50) <= 0) continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    if (!open_) {
      ::close(client);
      continue;
    }
    int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(target_port_);
    ::inet_pton(AF_INET, target_host_.c_str(), &target.sin_addr);
    if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      if (upstream >= 0) ::close(upstream);
      ::close(client);
      continue;
    }
    std::lock_guard lock(mutex_);
    // Close() may have run while this one connected: it cut only the connections it found
    // in active_, so this one must not start.
    if (!open_) {
      ::close(upstream);
      ::close(client);
      continue;
    }
    ++forwarded_;
    active_.push_back(client);
    active_.push_back(upstream);
    pumps_.emplace_back([this, client, upstream] { Pump(client, upstream); });
  }
}

void TcpProxy::Pump(int client, int upstream) {
  char buffer[16384];
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  bool running = true;
  while (running && !stop_) {
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2 && running; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        running = false;
        break;
      }
      if (i == 0) client_reads_++;
      int to = fds[1 - i].fd;
      ssize_t sent = 0;
      while (sent < n) {
        ssize_t m = ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
        if (m <= 0) {
          running = false;
          break;
        }
        sent += m;
      }
    }
  }
  std::lock_guard lock(mutex_);
  active_.erase(std::remove_if(active_.begin(), active_.end(), [&](int fd) { return fd == client || fd == upstream; }),
                active_.end());
  ::close(client);
  ::close(upstream);
}

}  // namespace choreo::testing

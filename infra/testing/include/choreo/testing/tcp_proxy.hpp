#pragma once
// A test-only TCP forwarder on 127.0.0.1 that can be "unplugged": while closed it accepts
// and immediately drops every connection and cuts the ones in progress, which is what a
// client sees of a server that went away. Lets a test take the broker or the database
// away from the components under test without stopping the shared test servers, which
// other tests running in parallel keep using.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace choreo::testing {

class TcpProxy {
 public:
  // Starts closed.
  TcpProxy(std::string target_host, std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t Port() const { return port_; }
  void Open();
  // Drops new connections and cuts the open ones.
  void Close();
  // Connections forwarded so far.
  int Forwarded() const { return forwarded_.load(); }
  // Reads from clients so far, over all connections: a client that waits for each answer
  // before it sends again makes one per request, so this counts round trips.
  int ClientReads() const { return client_reads_.load(); }

 private:
  void AcceptLoop();
  void Pump(int client, int upstream);

  std::string target_host_;
  std::uint16_t target_port_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> open_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> forwarded_{0};
  std::atomic<int> client_reads_{0};
  std::mutex mutex_;
  std::vector<int> active_;  // both ends of every forwarded connection
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace choreo::testing

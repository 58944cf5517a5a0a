#pragma once
// The one include of rabbitmq-c: amqp.h uses struct timeval without including
// <sys/time.h> itself.
#include <sys/time.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <chrono>
#include <string>
#include <string_view>

namespace choreo::amqp::detail {

inline amqp_bytes_t Bytes(std::string_view s) {
  // rabbitmq-c only reads through this pointer when encoding.
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

inline std::string String(amqp_bytes_t b) {
  return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

inline timeval ToTimeval(std::chrono::milliseconds d) {
  if (d.count() < 0) d = std::chrono::milliseconds(0);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

}  // namespace choreo::amqp::detail

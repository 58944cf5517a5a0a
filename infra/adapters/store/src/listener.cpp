#include "choreo/store/listener.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <libpq-fe.h>

#include "errors_internal.hpp"

namespace choreo::store {
namespace {

bool IsIdentifier(std::string_view name) {
  return !name.empty() && name.size() < 64 && !std::isdigit(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

Listener::Listener(const StoreOptions& options, std::string_view channel) : channel_(channel) {
  const StoreUrl url = ParseStoreUrl(options.url);
  if (url.dialect != Dialect::kPostgres) throw std::invalid_argument("choreo::store::Listener needs PostgreSQL");
  // Spliced into LISTEN below (a channel is an identifier and cannot be bound), hence the
  // strict check.
  if (!IsIdentifier(channel)) throw std::invalid_argument("choreo::store::Listener: bad channel name");
  // Ours first: libpq lets a later keyword win, so the URL's own settings still apply.
  const std::string conninfo = "connect_timeout=" + std::to_string(std::max<long>(1, options.connect_timeout.count())) +
                               " keepalives=1 keepalives_idle=20 keepalives_interval=5 keepalives_count=4 " +
                               url.postgres_conninfo;
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) Broken("connect");
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn_, ("LISTEN " + channel_).c_str());
  const bool ok = result != nullptr && PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!ok) Broken("LISTEN");
}

Listener::~Listener() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Listener::Broken(std::string_view context) {
  // libpq's messages name host and port, never the password.
  std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  detail::ThrowTransient(message.empty() ? "connection lost" : message, std::string("listener ") + std::string(context));
}

std::optional<std::string> Listener::QueryText(const std::string& sql) {
  if (conn_ == nullptr) detail::ThrowTransient("connection lost", "listener query");
  PGresult* result = PQexec(conn_, sql.c_str());
  if (result == nullptr || PQresultStatus(result) != PGRES_TUPLES_OK) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
    std::string sqlstate = state != nullptr ? state : "";
    PQclear(result);
    if (PQstatus(conn_) != CONNECTION_OK) Broken("query");
    detail::ThrowPostgresError(sqlstate, message, sql);
  }
  std::optional<std::string> value;
  if (PQntuples(result) > 0 && PQnfields(result) > 0 && PQgetisnull(result, 0, 0) == 0) value = PQgetvalue(result, 0, 0);
  PQclear(result);
  return value;
}

std::vector<std::string> Listener::Drain() {
  std::vector<std::string> payloads;
  while (PGnotify* n = PQnotifies(conn_)) {
    if (channel_ == n->relname) payloads.emplace_back(n->extra != nullptr ? n->extra : "");
    PQfreemem(n);
  }
  return payloads;
}

std::vector<std::string> Listener::Wait(std::chrono::milliseconds timeout) {
  if (conn_ == nullptr) detail::ThrowTransient("connection lost", "listener wait");
  // Notifications that arrived with an earlier answer are already buffered.
  if (PQconsumeInput(conn_) == 0) Broken("wait");
  std::vector<std::string> payloads = Drain();
  if (!payloads.empty()) return payloads;
  pollfd fd{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
  if (fd.fd < 0) Broken("wait");
  const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) detail::ThrowTransient(std::strerror(errno), "listener poll");
  if (ready > 0) {
    // Readable also means closed: consuming then fails and the connection is reported
    // broken rather than polled forever.
    if (PQconsumeInput(conn_) == 0) Broken("wait");
    payloads = Drain();
  }
  if (PQstatus(conn_) != CONNECTION_OK) Broken("wait");
  return payloads;
}

}  // namespace choreo::store

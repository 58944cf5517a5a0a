// poco-bare-bench: the ceiling the gateway is compared with. A Poco HTTPServer with the
// gateway's thread and keep-alive settings whose handler reads the request body and
// answers 202 with a small JSON body, touching no store and no broker.
//   poco-bare-bench --port N [--max-threads 64] [--max-queued 64]
// Runs until SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <istream>
#include <string>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

namespace {

class AcceptHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    std::istream& in = request.stream();
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    }
    static const std::string kBody = R"({"order_id":"00000000-0000-4000-8000-000000000000","status":"PLACED"})";
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
    response.setContentType("application/json");
    response.set("Location", "/orders/00000000-0000-4000-8000-000000000000");
    response.setContentLength64(static_cast<Poco::Int64>(kBody.size()));
    response.send() << kBody;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new AcceptHandler;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0, max_threads = 64, max_queued = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port") port = std::stoi(argv[i + 1]);
    else if (flag == "--max-threads") max_threads = std::stoi(argv[i + 1]);
    else if (flag == "--max-queued") max_queued = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: poco-bare-bench --port N [--max-threads N] [--max-queued N]\n");
      return 2;
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
    socket.listen(max_queued);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(max_threads);
    params->setMaxQueued(max_queued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(100);
    Poco::ThreadPool pool(2, max_threads);
    Poco::Net::HTTPServer server(new Factory, pool, socket, params);
    server.start();
    int signal = 0;
    sigwait(&stop, &signal);
    server.stopAll(true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "poco-bare-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

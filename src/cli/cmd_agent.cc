// kprof agent: discover pods (and static targets), scrape their pprof endpoints on a
// schedule and deliver the profiles to a kprof server, spooling them while it is away.
#include <signal.h>

#include <cstdio>
#include <memory>

#include "cli/agent_flags.h"
#include "cli/commands.h"
#include "net/router.h"
#include "net/server.h"

namespace kprof::cli {

namespace {

struct AgentCommand {
  AgentFlags flags;
  std::string server = "http://127.0.0.1:7070";
  std::string server_token_file;
  std::string server_ca_file;
  bool server_insecure = false;
  std::string metrics_listen = "127.0.0.1:9470";

  int Run() {
    if (Status s = FinishAgentFlags(&flags); !s.ok()) return Fail(s);
    if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
      return Fail(InvalidArgument("--server wants a URL like http://127.0.0.1:7070"));
    }
    // Scrapes and pushes use separate clients, so a fleet's scrapes (thousands of
    // connections, CPU captures that last seconds) never hold up delivery.
    auto http = net::HttpClient::Create(CollectorHttpOptions());
    if (!http.ok()) return Fail(http.status());
    std::shared_ptr<net::HttpClient> client = std::move(http).value();
    auto push_http = net::HttpClient::Create();
    if (!push_http.ok()) return Fail(push_http.status());
    std::shared_ptr<net::HttpClient> push_client = std::move(push_http).value();
    collect::HttpSinkOptions sink_options;
    sink_options.server = server;
    sink_options.token_file = server_token_file;
    sink_options.tls.ca_file = server_ca_file;
    sink_options.tls.insecure_skip_verify = server_insecure;
    collect::HttpSink sink(sink_options, push_client);
    metrics::Registry registry;
    auto agent = collect::Agent::Create(flags.options, &sink, &registry, client);
    if (!agent.ok()) return Fail(agent.status());

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<net::HttpServer> metrics_server;
    if (!metrics_listen.empty()) {
      size_t colon = metrics_listen.rfind(':');
      if (colon == std::string::npos) {
        return Fail(InvalidArgument("--metrics-listen wants HOST:PORT, e.g. 127.0.0.1:9470"));
      }
      auto router = std::make_shared<net::Router>();
      router->Add(
          "GET", "/metrics",
          [&registry](net::Request&) {
            net::Response r;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = registry.Render();
            return r;
          },
          "Prometheus metrics of the agent");
      router->Add(
          "GET", "/healthz", [](net::Request&) { return net::JsonOk("{\"status\":\"ok\"}"); },
          "Liveness");
      (*agent)->AddRoutes(router.get());
      net::ServerOptions so;
      so.address = metrics_listen.substr(0, colon);
      so.port = static_cast<uint16_t>(std::atoi(metrics_listen.c_str() + colon + 1));
      so.worker_threads = 1;
      auto started = net::HttpServer::Start(so, router);
      if (!started.ok()) return Fail(started.status().WithContext("--metrics-listen"));
      metrics_server = std::move(started).value();
      std::fprintf(stderr, "kprof agent: metrics on http://%s:%u/metrics, status on /status\n",
                   so.address.c_str(), metrics_server->port());
    }
    if (Status s = (*agent)->Start(); !s.ok()) return Fail(s);
    const kube::RestConfig* kc = (*agent)->kube_config();
    std::fprintf(stderr, "kprof agent: %s; sending to %s; spool %s\n",
                 kc ? ("watching pods via " + kc->server +
                       (kc->context.empty() ? "" : " (context " + kc->context + ")"))
                          .c_str()
                    : "static targets only",
                 server.c_str(), flags.options.spool.dir.c_str());
    std::fflush(stderr);
    int signal = 0;
    sigwait(&signals, &signal);
    std::fprintf(stderr, "kprof agent: stopping (signal %d); undelivered profiles stay in %s\n",
                 signal, flags.options.spool.dir.c_str());
    (*agent)->Stop();
    if (metrics_server) metrics_server->Stop();
    return 0;
  }
};

}  // namespace

void AddAgentCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<AgentCommand>();
  cmd->flags.options.spool.dir = "kprof-spool";
  CLI::App* sub = app->add_subcommand(
      "agent",
      "Collect continuously: discover annotated pods (kprof.io/scrape, profefe.com/enable) "
      "and static targets, scrape them on a schedule, send profiles to a kprof server");
  AddAgentFlags(sub, &cmd->flags, /*kubernetes_flags=*/true);
  sub->add_option("--server", cmd->server, "The kprof server to send profiles to")
      ->capture_default_str();
  sub->add_option("--server-token-file", cmd->server_token_file,
                  "Bearer token (write scope) for the server");
  sub->add_option("--server-ca-file", cmd->server_ca_file, "CA bundle to verify an HTTPS server");
  sub->add_flag("--server-insecure-skip-tls-verify", cmd->server_insecure,
                "Do not verify the server's certificate");
  sub->add_option("--metrics-listen", cmd->metrics_listen,
                  "HOST:PORT for /metrics and /status (\"\" = off)")
      ->capture_default_str();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli

#include "cli/agent_flags.h"

namespace kprof::cli {

void AddAgentFlags(CLI::App* sub, AgentFlags* f, bool kubernetes_flags) {
  collect::AgentOptions& o = f->options;
  if (kubernetes_flags) {
    sub->add_option("--kubeconfig", o.kube_config.kubeconfig,
                    "Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the "
                    "in-cluster service account)");
    sub->add_flag("--no-kubernetes", f->no_kubernetes,
                  "Do not discover pods; scrape only --targets-file");
  }
  sub->add_option("--context", o.kube_config.context, "The kubeconfig context to use");
  sub->add_option("-n,--namespace", o.namespaces,
                  "Namespace to discover pods in (repeatable; default: all namespaces)");
  sub->add_flag("-A,--all-namespaces", f->all_namespaces, "Discover pods in every namespace");
  sub->add_option("-l,--selector", o.label_selector,
                  "Label selector for the pods to consider (e.g. app=checkout,tier!=db)");
  sub->add_option("--via", o.via,
                  "How to reach pods: direct (pod IP), proxy (API server pod proxy), auto "
                  "(direct in cluster, proxy from outside)")
      ->capture_default_str();
  sub->add_option("--targets-file", o.targets_file, "Static targets (YAML), scraped as well");
  sub->add_option("--types", f->types,
                  "Profile types for pods without a kprof.io/types annotation (or \"all\")")
      ->capture_default_str();
  sub->add_option("--interval", f->interval, "Scrape interval (Go duration)")
      ->capture_default_str();
  sub->add_option("--type-interval", f->type_intervals,
                  "Per-type interval, TYPE=DURATION (repeatable), e.g. goroutine=5m");
  sub->add_option("--cpu-seconds", f->cpu_seconds, "Length of each CPU profile")
      ->capture_default_str();
  sub->add_option("--timeout", f->timeout,
                  "Deadline of a scrape (CPU scrapes get --cpu-seconds on top)")
      ->capture_default_str();
  sub->add_option("--max-concurrent", o.collector.max_concurrent,
                  "Scrapes in flight at once, across all targets")
      ->capture_default_str();
  sub->add_option("--jitter", o.collector.jitter,
                  "Random shift of each scrape, as a fraction of its interval (0-1)")
      ->capture_default_str();
  sub->add_option("--target-token-file", o.collector.target_token_file,
                  "Bearer token sent to targets (e.g. behind kube-rbac-proxy); re-read as it "
                  "rotates");
  sub->add_option("--target-ca-file", f->target_ca_file, "CA bundle to verify HTTPS targets");
  sub->add_flag("--target-insecure-skip-tls-verify", f->target_insecure,
                "Do not verify HTTPS targets' certificates");
  sub->add_option("--spool-dir", o.spool.dir, "Where profiles wait until the server has them")
      ->capture_default_str();
  sub->add_option("--spool-max-mb", f->spool_max_mb,
                  "Spool size bound; past it the oldest profiles are dropped")
      ->capture_default_str();
}

Status FinishAgentFlags(AgentFlags* f) {
  collect::AgentOptions& o = f->options;
  o.kubernetes = !f->no_kubernetes;
  if (f->all_namespaces) o.namespaces.clear();
  KPROF_ASSIGN_OR_RETURN(o.defaults.kinds, collect::ParseKinds(f->types));
  auto interval = collect::ParseDurationFlag(f->interval);
  if (!interval.ok()) return interval.status().WithContext("--interval");
  if (interval->count() < 1000) return InvalidArgument("--interval must be at least 1s");
  o.defaults.interval = *interval;
  for (const std::string& ti : f->type_intervals) {
    size_t eq = ti.find('=');
    auto kind = collect::ParseKind(ti.substr(0, eq));
    if (eq == std::string::npos || !kind) {
      return InvalidArgument("--type-interval wants TYPE=DURATION (e.g. heap=2m), got \"" + ti +
                             "\"");
    }
    auto d = collect::ParseDurationFlag(ti.substr(eq + 1));
    if (!d.ok()) return d.status().WithContext("--type-interval " + ti);
    if (d->count() < 1000) return InvalidArgument("--type-interval " + ti + ": at least 1s");
    o.defaults.kind_intervals[*kind] = *d;
  }
  if (f->cpu_seconds < 1) return InvalidArgument("--cpu-seconds must be at least 1");
  o.defaults.cpu_seconds = std::chrono::seconds(f->cpu_seconds);
  auto timeout = collect::ParseDurationFlag(f->timeout);
  if (!timeout.ok()) return timeout.status().WithContext("--timeout");
  o.collector.timeout = *timeout;
  if (o.collector.max_concurrent < 1) return InvalidArgument("--max-concurrent must be >= 1");
  if (o.collector.jitter < 0 || o.collector.jitter > 1) {
    return InvalidArgument("--jitter must be between 0 and 1");
  }
  o.collector.target_tls.ca_file = f->target_ca_file;
  o.collector.target_tls.insecure_skip_verify = f->target_insecure;
  if (f->spool_max_mb < 1) return InvalidArgument("--spool-max-mb must be at least 1");
  o.spool.max_bytes = f->spool_max_mb << 20;
  return Status::Ok();
}

net::HttpClientOptions CollectorHttpOptions() {
  net::HttpClientOptions options;
  options.max_connections_per_host = 64;
  options.max_total_connections = 8192;  // a fleet's scrapes
  return options;
}

}  // namespace kprof::cli

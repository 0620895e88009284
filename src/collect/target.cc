#include "collect/target.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "store/timeparse.h"

namespace kprof::collect {

namespace {

constexpr std::array<std::string_view, 7> kKindNames = {
    "cpu", "heap", "allocs", "goroutine", "block", "mutex", "threadcreate"};

const std::string* Annotation(const kube::Pod& pod, std::string_view kprof_key,
                              std::string_view profefe_key = {}) {
  if (const std::string* v = kube::FindPair(pod.meta.annotations, kprof_key)) return v;
  if (!profefe_key.empty()) return kube::FindPair(pod.meta.annotations, profefe_key);
  return nullptr;
}

Result<int> ParsePort(std::string_view text) {
  text = TrimSpace(text);
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return InvalidArgument("\"" + std::string(text) + "\" is not a port number (1-65535)");
  }
  return port;
}

// The service name when no annotation names it: the usual app labels, then the
// deployment, then the pod's name.
std::string DefaultService(const kube::Pod& pod, const OwnerInfo& owner) {
  for (std::string_view key : {"app.kubernetes.io/name", "app", "k8s-app"}) {
    if (const std::string* v = kube::FindPair(pod.meta.labels, key); v && !v->empty()) return *v;
  }
  if (!owner.deployment.empty()) return owner.deployment;
  return pod.meta.name;
}

void FillIntervals(Target* t, const ScrapeDefaults& defaults,
                   std::optional<std::chrono::milliseconds> interval) {
  for (ProfileKind k : t->kinds) {
    auto it = defaults.kind_intervals.find(k);
    t->intervals[k] = interval
                          ? *interval
                          : (it != defaults.kind_intervals.end() ? it->second : defaults.interval);
  }
}

}  // namespace

std::string_view KindName(ProfileKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<ProfileKind> ParseKind(std::string_view name) {
  name = TrimSpace(name);
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<ProfileKind>(i);
  }
  if (name == "profile") return ProfileKind::kCpu;  // the handler's name
  return std::nullopt;
}

bool IsCumulative(ProfileKind kind) {
  return kind == ProfileKind::kAllocs || kind == ProfileKind::kBlock ||
         kind == ProfileKind::kMutex || kind == ProfileKind::kHeap;
}

Result<std::vector<ProfileKind>> ParseKinds(std::string_view list) {
  if (TrimSpace(list) == "all") return std::vector<ProfileKind>(kAllKinds.begin(), kAllKinds.end());
  std::vector<ProfileKind> kinds;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimSpace(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    auto kind = ParseKind(item);
    if (!kind) {
      return InvalidArgument("unknown profile type \"" + std::string(item) +
                             "\"; known: cpu, heap, allocs, goroutine, block, mutex, "
                             "threadcreate, all");
    }
    if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) kinds.push_back(*kind);
  }
  if (kinds.empty()) return InvalidArgument("no profile types given");
  return kinds;
}

std::string KindPath(ProfileKind kind, std::chrono::seconds cpu_seconds) {
  if (kind == ProfileKind::kCpu) return "profile?seconds=" + std::to_string(cpu_seconds.count());
  return std::string(KindName(kind));
}

Result<std::chrono::milliseconds> ParseDurationFlag(std::string_view text) {
  text = TrimSpace(text);
  // Bare integers are seconds, as in kube-profefe's flags.
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); })) {
    if (text.size() > 9) return InvalidArgument("duration \"" + std::string(text) + "\" too long");
    int64_t s = 0;
    std::from_chars(text.data(), text.data() + text.size(), s);
    return std::chrono::milliseconds(s * 1000);
  }
  KPROF_ASSIGN_OR_RETURN(int64_t nanos, store::ParseDuration(text));
  return std::chrono::milliseconds(nanos / 1000000);
}

std::chrono::milliseconds Target::IntervalOf(ProfileKind kind) const {
  auto it = intervals.find(kind);
  return it == intervals.end() ? std::chrono::milliseconds(60000) : it->second;
}

std::string Target::ProfilePath(ProfileKind kind) const {
  std::string p = path;
  if (p.empty() || p.back() != '/') p += '/';
  return p + KindPath(kind, cpu_seconds);
}

Result<PodPort> ChoosePodPort(const kube::Pod& pod, int port) {
  const std::string where = pod.meta.namespace_ + "/" + pod.meta.name;
  if (port == 0) {
    if (const std::string* p = Annotation(pod, "kprof.io/port", "profefe.com/port")) {
      auto parsed = ParsePort(*p);
      if (!parsed.ok()) {
        return InvalidArgument("pod " + where +
                               ": annotation kprof.io/port: " + parsed.status().message());
      }
      port = *parsed;
    }
  }
  PodPort out;
  for (const kube::Container& c : pod.containers) {
    for (const kube::ContainerPort& cp : c.ports) {
      if (port == 0 || cp.container_port == port) {
        if (port == 0) port = cp.container_port;
        out.container = &c;
        break;
      }
    }
    if (out.container) break;
  }
  if (port == 0) {
    return InvalidArgument("pod " + where +
                           " declares no container port: name the pprof port with the "
                           "annotation kprof.io/port (captures: --port)");
  }
  if (!out.container && !pod.containers.empty()) out.container = &pod.containers.front();
  out.port = port;
  return out;
}

PodIdentity IdentifyPod(const kube::Pod& pod, const OwnerInfo& owner,
                        const kube::Container* container) {
  PodIdentity id;
  if (const std::string* s = Annotation(pod, "kprof.io/service", "profefe.com/service");
      s && !TrimSpace(*s).empty()) {
    id.service = std::string(TrimSpace(*s));
  } else {
    id.service = DefaultService(pod, owner);
  }
  store::Labels& l = id.labels;
  l.Set("namespace", pod.meta.namespace_);
  l.Set("pod", pod.meta.name);
  if (!pod.node_name.empty()) l.Set("node", pod.node_name);
  int restarts = 0;
  std::string container_id;
  if (container) {
    l.Set("container", container->name);
    if (!container->image.empty()) l.Set("image", container->image);
    for (const kube::ContainerStatus& cs : pod.container_statuses) {
      if (cs.name == container->name) {
        restarts = cs.restart_count;
        container_id = cs.container_id;
      }
    }
  }
  if (!owner.deployment.empty()) l.Set("deployment", owner.deployment);
  if (!owner.replicaset.empty()) l.Set("replicaset", owner.replicaset);
  if (!owner.revision.empty()) l.Set("revision", owner.revision);
  if (const std::string* h = kube::FindPair(pod.meta.labels, "pod-template-hash")) {
    l.Set("pod_template_hash", *h);
  }
  if (const std::string* v = kube::FindPair(pod.meta.labels, "app.kubernetes.io/version")) {
    l.Set("version", *v);
  }
  id.instance = pod.meta.uid + "/" + (container ? container->name : "") + "/" +
                std::to_string(restarts) + "/" + container_id;
  return id;
}

Result<std::optional<Target>> TargetFromPod(const kube::Pod& pod, const OwnerInfo& owner,
                                            const PodDiscoveryOptions& options) {
  const std::string* enable = Annotation(pod, "kprof.io/scrape", "profefe.com/enable");
  if (enable == nullptr || TrimSpace(*enable) != "true") return std::optional<Target>();
  if (pod.meta.deletion_time != 0 || pod.phase != "Running" || pod.pod_ip.empty()) {
    return std::optional<Target>();
  }
  const std::string where = pod.meta.namespace_ + "/" + pod.meta.name;
  auto bad = [&](std::string_view annotation, const Status& s) {
    return InvalidArgument("pod " + where + ": annotation " + std::string(annotation) + ": " +
                           s.message());
  };

  Target t;
  t.via = options.via;
  KPROF_ASSIGN_OR_RETURN(PodPort chosen, ChoosePodPort(pod, 0));
  const int port = chosen.port;

  if (const std::string* s = Annotation(pod, "kprof.io/scheme")) {
    if (*s != "http" && *s != "https") {
      return bad("kprof.io/scheme", InvalidArgument("want http or https, got \"" + *s + "\""));
    }
    t.scheme = *s;
  }
  t.path = options.defaults.path;
  if (const std::string* p = Annotation(pod, "kprof.io/path")) {
    if (p->empty() || p->front() != '/') {
      return bad("kprof.io/path", InvalidArgument("must start with '/'"));
    }
    t.path = *p;
  }
  t.kinds = options.defaults.kinds;
  if (const std::string* k = Annotation(pod, "kprof.io/types")) {
    auto kinds = ParseKinds(*k);
    if (!kinds.ok()) return bad("kprof.io/types", kinds.status());
    t.kinds = std::move(kinds).value();
  }
  std::optional<std::chrono::milliseconds> interval;
  if (const std::string* i = Annotation(pod, "kprof.io/interval")) {
    auto parsed = ParseDurationFlag(*i);
    if (!parsed.ok()) return bad("kprof.io/interval", parsed.status());
    if (parsed->count() < 1000) {
      return bad("kprof.io/interval", InvalidArgument("must be at least 1s"));
    }
    interval = *parsed;
  }
  FillIntervals(&t, options.defaults, interval);
  t.cpu_seconds = options.defaults.cpu_seconds;
  // A CPU profile must fit in its interval.
  auto cpu_interval = t.intervals.find(ProfileKind::kCpu);
  if (cpu_interval != t.intervals.end()) {
    auto limit = std::chrono::duration_cast<std::chrono::seconds>(cpu_interval->second);
    if (t.cpu_seconds >= limit)
      t.cpu_seconds =
          std::max<std::chrono::seconds>(std::chrono::seconds(1), limit - std::chrono::seconds(1));
  }

  PodIdentity id = IdentifyPod(pod, owner, chosen.container);
  t.service = std::move(id.service);
  t.labels = std::move(id.labels);
  t.instance = std::move(id.instance);
  t.host = pod.pod_ip;
  t.port = port;
  t.pod_namespace = pod.meta.namespace_;
  t.pod_name = pod.meta.name;
  t.key = "pod/" + where + ":" + std::to_string(port);
  return std::optional<Target>(std::move(t));
}

Result<std::vector<Target>> ParseStaticTargets(std::string_view yaml,
                                               const ScrapeDefaults& defaults) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["targets"] || !root["targets"].IsSequence()) {
    return InvalidArgument("want a map with a \"targets\" list");
  }
  std::vector<Target> targets;
  size_t index = 0;
  try {
    for (const YAML::Node& n : root["targets"]) {
      std::string where = "targets[" + std::to_string(index++) + "]";
      auto fail = [&](std::string what) { return InvalidArgument(where + ": " + what); };
      if (!n.IsMap()) return fail("want a map");
      if (!n["service"] || n["service"].as<std::string>().empty())
        return fail("service is required");
      if (!n["url"]) return fail("url is required (e.g. http://127.0.0.1:6060)");
      Target t;
      t.service = n["service"].as<std::string>();
      std::string url = n["url"].as<std::string>();
      size_t scheme_end = url.find("://");
      if (scheme_end == std::string::npos)
        return fail("url \"" + url + "\" has no http:// or https://");
      t.scheme = url.substr(0, scheme_end);
      if (t.scheme != "http" && t.scheme != "https")
        return fail("url scheme must be http or https");
      std::string rest = url.substr(scheme_end + 3);
      size_t slash = rest.find('/');
      std::string hostport = rest.substr(0, slash);
      t.path = slash == std::string::npos ? defaults.path : rest.substr(slash);
      if (t.path == "/") t.path = defaults.path;
      while (t.path.size() > 1 && t.path.back() == '/') t.path.pop_back();
      size_t colon = hostport.rfind(':');
      if (colon == std::string::npos || hostport.back() == ']') {
        t.host = hostport;
        t.port = t.scheme == "https" ? 443 : 80;
      } else {
        t.host = hostport.substr(0, colon);
        auto port = ParsePort(hostport.substr(colon + 1));
        if (!port.ok()) return fail("url: " + port.status().message());
        t.port = *port;
      }
      if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
      if (t.host.empty()) return fail("url has no host");
      t.kinds = defaults.kinds;
      if (const YAML::Node& types = n["types"]) {
        std::string list;
        if (types.IsSequence()) {
          for (const YAML::Node& x : types) list += x.as<std::string>() + ",";
        } else {
          list = types.as<std::string>();
        }
        auto kinds = ParseKinds(list);
        if (!kinds.ok()) return fail("types: " + kinds.status().message());
        t.kinds = std::move(kinds).value();
      }
      std::optional<std::chrono::milliseconds> interval;
      if (n["interval"]) {
        auto parsed = ParseDurationFlag(n["interval"].as<std::string>());
        if (!parsed.ok()) return fail("interval: " + parsed.status().message());
        if (parsed->count() < 1000) return fail("interval must be at least 1s");
        interval = *parsed;
      }
      FillIntervals(&t, defaults, interval);
      t.cpu_seconds = defaults.cpu_seconds;
      if (n["cpu_seconds"]) t.cpu_seconds = std::chrono::seconds(n["cpu_seconds"].as<int>());
      if (n["labels"]) {
        if (!n["labels"].IsMap()) return fail("labels must be a map");
        for (const auto& kv : n["labels"]) {
          t.labels.Set(kv.first.as<std::string>(), kv.second.as<std::string>());
        }
      }
      auto checked = store::ValidateLabels(t.labels);
      if (!checked.ok()) return fail(checked.message());
      t.labels.Set("instance", hostport);
      t.key = "static/" + t.service + "/" + hostport;
      t.instance = t.key;
      t.via = Target::Via::kDirect;
      targets.push_back(std::move(t));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("targets[" + std::to_string(index - 1) + "]: " + e.what());
  }
  return targets;
}

Result<std::vector<Target>> LoadStaticTargets(const std::string& path,
                                              const ScrapeDefaults& defaults) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read targets file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto targets = ParseStaticTargets(ss.str(), defaults);
  if (!targets.ok()) return targets.status().WithContext(path);
  return targets;
}

}  // namespace kprof::collect

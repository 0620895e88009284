#include "resources/sample.h"

#include <simdjson.h>

#include <cmath>
#include <memory>
#include <utility>

#include "kube/objects.h"

namespace kprof::resources {
namespace {

namespace dom = simdjson::dom;
using Element = dom::element;

// A parser per thread. One that grew past this for a large document is replaced by a
// fresh one at the next call (a Summary of a 250-pod node is well under a megabyte).
constexpr size_t kMaxRetainedParserCapacity = size_t{4} << 20;

dom::parser& ThreadParser() {
  thread_local std::unique_ptr<dom::parser> parser;
  if (parser == nullptr || parser->capacity() > kMaxRetainedParserCapacity) {
    parser = std::make_unique<dom::parser>();
  }
  return *parser;
}

Status FieldError(const std::string& path, std::string_view what) {
  return InvalidArgument(path + ": " + std::string(what));
}

bool IsNull(Element v) { return v.type() == dom::element_type::NULL_VALUE; }

// Calls fn(key, value) for each field of an object; null is an empty object.
template <typename Fn>
Status ForEachField(Element v, const std::string& path, Fn&& fn) {
  if (IsNull(v)) return Status::Ok();
  dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) return FieldError(path, "expected an object");
  for (dom::key_value_pair field : obj) {
    if (IsNull(field.value)) continue;
    KPROF_RETURN_IF_ERROR(fn(field.key, field.value));
  }
  return Status::Ok();
}

// Calls fn(index, element) for each element of an array; null is an empty array.
template <typename Fn>
Status ForEachItem(Element v, const std::string& path, Fn&& fn) {
  if (IsNull(v)) return Status::Ok();
  dom::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS) return FieldError(path, "expected an array");
  size_t index = 0;
  for (Element item : arr) {
    KPROF_RETURN_IF_ERROR(fn(index++, item));
  }
  return Status::Ok();
}

Status ReadString(Element v, const std::string& path, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return FieldError(path, "expected a string");
  out->assign(s);
  return Status::Ok();
}

// A counter or gauge: a non-negative integer. Go writes uint64 as integers, but a
// number with a fraction or an exponent is accepted if it is in range (and truncated).
Status ReadCount(Element v, const std::string& path, std::optional<uint64_t>* out) {
  switch (v.type()) {
    case dom::element_type::UINT64:
      *out = v.get_uint64().value_unsafe();
      return Status::Ok();
    case dom::element_type::INT64: {
      int64_t i = v.get_int64().value_unsafe();
      if (i < 0) return FieldError(path, "negative count");
      *out = static_cast<uint64_t>(i);
      return Status::Ok();
    }
    case dom::element_type::DOUBLE: {
      double d = v.get_double().value_unsafe();
      if (!std::isfinite(d) || d < 0) return FieldError(path, "negative or not finite");
      if (d >= 18446744073709551616.0) return FieldError(path, "count out of range");
      *out = static_cast<uint64_t>(d);
      return Status::Ok();
    }
    default:
      return FieldError(path, "expected a number");
  }
}

Status ReadTime(Element v, const std::string& path, int64_t* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return FieldError(path, "expected a time");
  if (s.empty()) return Status::Ok();
  Result<int64_t> t = kube::ParseTime(s);
  if (!t.ok()) return t.status().WithContext(path);
  *out = *t;
  return Status::Ok();
}

Status DecodeCpu(Element v, const std::string& path, SummaryContainer* c) {
  return ForEachField(v, path, [&](std::string_view k, Element f) {
    if (k == "time") return ReadTime(f, path + ".time", &c->cpu_time_nanos);
    if (k == "usageNanoCores") return ReadCount(f, path + ".usageNanoCores", &c->usage_nano_cores);
    if (k == "usageCoreNanoSeconds") {
      return ReadCount(f, path + ".usageCoreNanoSeconds", &c->usage_core_nano_seconds);
    }
    return Status::Ok();
  });
}

Status DecodeMemory(Element v, const std::string& path, SummaryContainer* c) {
  return ForEachField(v, path, [&](std::string_view k, Element f) {
    if (k == "time") return ReadTime(f, path + ".time", &c->memory_time_nanos);
    if (k == "workingSetBytes") {
      return ReadCount(f, path + ".workingSetBytes", &c->working_set_bytes);
    }
    if (k == "usageBytes") return ReadCount(f, path + ".usageBytes", &c->usage_bytes);
    if (k == "rssBytes") return ReadCount(f, path + ".rssBytes", &c->rss_bytes);
    return Status::Ok();
  });
}

Status DecodeContainer(Element v, const std::string& path, SummaryContainer* c) {
  return ForEachField(v, path, [&](std::string_view k, Element f) {
    if (k == "name") return ReadString(f, path + ".name", &c->name);
    if (k == "cpu") return DecodeCpu(f, path + ".cpu", c);
    if (k == "memory") return DecodeMemory(f, path + ".memory", c);
    return Status::Ok();
  });
}

// Adds `add` to `sum`; absent stays absent unless something is added.
Status AddCount(std::optional<uint64_t> add, const std::string& path,
                std::optional<uint64_t>* sum) {
  if (!add) return Status::Ok();
  uint64_t total = sum->value_or(0);
  if (total + *add < total) return FieldError(path, "sum out of range");
  *sum = total + *add;
  return Status::Ok();
}

Status DecodeNetwork(Element v, const std::string& path, SummaryPod* p) {
  std::optional<uint64_t> rx_sum, tx_sum;
  KPROF_RETURN_IF_ERROR(ForEachField(v, path, [&](std::string_view k, Element f) {
    if (k == "time") return ReadTime(f, path + ".time", &p->network_time_nanos);
    if (k == "rxBytes") return ReadCount(f, path + ".rxBytes", &p->rx_bytes);
    if (k == "txBytes") return ReadCount(f, path + ".txBytes", &p->tx_bytes);
    if (k != "interfaces") return Status::Ok();
    return ForEachItem(f, path + ".interfaces", [&](size_t i, Element iface) {
      const std::string at = path + ".interfaces[" + std::to_string(i) + "]";
      return ForEachField(iface, at, [&](std::string_view ik, Element iv) {
        std::optional<uint64_t> n;
        if (ik == "rxBytes") {
          KPROF_RETURN_IF_ERROR(ReadCount(iv, at + ".rxBytes", &n));
          return AddCount(n, at + ".rxBytes", &rx_sum);
        }
        if (ik == "txBytes") {
          KPROF_RETURN_IF_ERROR(ReadCount(iv, at + ".txBytes", &n));
          return AddCount(n, at + ".txBytes", &tx_sum);
        }
        return Status::Ok();
      });
    });
  }));
  if (!p->rx_bytes) p->rx_bytes = rx_sum;
  if (!p->tx_bytes) p->tx_bytes = tx_sum;
  return Status::Ok();
}

Status DecodePod(Element v, const std::string& path, SummaryPod* p) {
  return ForEachField(v, path, [&](std::string_view k, Element f) {
    if (k == "podRef") {
      return ForEachField(f, path + ".podRef", [&](std::string_view rk, Element rf) {
        if (rk == "name") return ReadString(rf, path + ".podRef.name", &p->name);
        if (rk == "namespace") return ReadString(rf, path + ".podRef.namespace", &p->namespace_);
        if (rk == "uid") return ReadString(rf, path + ".podRef.uid", &p->uid);
        return Status::Ok();
      });
    }
    if (k == "containers") {
      return ForEachItem(f, path + ".containers", [&](size_t i, Element c) {
        return DecodeContainer(c, path + ".containers[" + std::to_string(i) + "]",
                               &p->containers.emplace_back());
      });
    }
    if (k == "network") return DecodeNetwork(f, path + ".network", p);
    return Status::Ok();
  });
}

}  // namespace

Result<std::vector<SummaryPod>> ParseStatsSummary(std::string_view json) {
  if (json.size() > kMaxStatsSummaryBytes) {
    return ResourceExhausted("stats summary: " + std::to_string(json.size()) +
                             " bytes of JSON, more than the limit of " +
                             std::to_string(kMaxStatsSummaryBytes));
  }
  dom::parser& parser = ThreadParser();
  Element root;
  simdjson::error_code err = parser.parse(json.data(), json.size()).get(root);
  if (err == simdjson::CAPACITY || err == simdjson::MEMALLOC) {
    return ResourceExhausted("stats summary: JSON too large to parse");
  }
  if (err != simdjson::SUCCESS) {
    return InvalidArgument(std::string("stats summary: malformed JSON: ") +
                           simdjson::error_message(err));
  }
  if (root.type() != dom::element_type::OBJECT) {
    return InvalidArgument("stats summary: not an object");
  }
  std::vector<SummaryPod> pods;
  Element list;
  if (root["pods"].get(list) == simdjson::SUCCESS) {
    Status st = ForEachItem(list, "pods", [&](size_t i, Element pod) {
      return DecodePod(pod, "pods[" + std::to_string(i) + "]", &pods.emplace_back());
    });
    if (!st.ok()) return st.WithContext("stats summary");
  }
  return pods;
}

std::vector<Sample> SummaryRates::Update(const std::string& node,
                                         const std::vector<SummaryPod>& pods, int64_t time_nanos) {
  NodeState& old_state = nodes_[node];
  NodeState next;
  std::vector<Sample> out;

  // Looks up `key` in `old_map`, records the new reading in `new_map` (keeping the old
  // one when the reading's time has not moved: the kubelet served cached stats), and
  // returns Δvalue per second when both time and value moved forward.
  auto track = [](const std::map<std::string, Counter>& old_map,
                  std::map<std::string, Counter>* new_map, const std::string& key, int64_t time,
                  std::optional<uint64_t> value) -> std::optional<double> {
    if (!value || time == 0) return std::nullopt;
    auto it = old_map.find(key);
    if (it != old_map.end() && it->second.time_nanos == time) {
      (*new_map)[key] = it->second;
      return std::nullopt;
    }
    (*new_map)[key] = Counter{time, *value};
    if (it == old_map.end() || time < it->second.time_nanos || *value < it->second.value) {
      return std::nullopt;
    }
    // time > previous here, so the unsigned difference is exact where a signed one could
    // overflow (times centuries apart).
    uint64_t nanos = static_cast<uint64_t>(time) - static_cast<uint64_t>(it->second.time_nanos);
    double seconds = static_cast<double>(nanos) / 1e9;
    return static_cast<double>(*value - it->second.value) / seconds;
  };

  for (const SummaryPod& pod : pods) {
    if (pod.name.empty() || pod.namespace_.empty()) continue;
    const std::string pod_key = pod.uid.empty() ? pod.namespace_ + "/" + pod.name : pod.uid;
    Sample base;
    base.time_nanos = time_nanos;
    base.namespace_ = pod.namespace_;
    base.pod = pod.name;
    base.node = node;
    for (const SummaryContainer& c : pod.containers) {
      Sample s = base;
      s.container = c.name;
      std::optional<double> rate = track(old_state.cpu, &next.cpu, pod_key + "/" + c.name,
                                         c.cpu_time_nanos, c.usage_core_nano_seconds);
      if (rate) {
        s.cpu_cores = *rate / 1e9;
      } else if (c.usage_nano_cores) {
        s.cpu_cores = static_cast<double>(*c.usage_nano_cores) / 1e9;
      }
      if (c.working_set_bytes)
        s.memory_working_set_bytes = static_cast<double>(*c.working_set_bytes);
      if (c.rss_bytes) s.memory_rss_bytes = static_cast<double>(*c.rss_bytes);
      if (s.cpu_cores >= 0 || s.memory_working_set_bytes >= 0 || s.memory_rss_bytes >= 0) {
        out.push_back(std::move(s));
      }
    }
    std::optional<double> rx =
        track(old_state.rx, &next.rx, pod_key, pod.network_time_nanos, pod.rx_bytes);
    std::optional<double> tx =
        track(old_state.tx, &next.tx, pod_key, pod.network_time_nanos, pod.tx_bytes);
    if (rx || tx) {
      Sample s = std::move(base);
      if (rx) s.rx_bytes_per_second = *rx;
      if (tx) s.tx_bytes_per_second = *tx;
      out.push_back(std::move(s));
    }
  }
  old_state = std::move(next);
  return out;
}

void SummaryRates::RetainNodes(const std::vector<std::string>& nodes) {
  std::map<std::string, NodeState> kept;
  for (const std::string& n : nodes) {
    auto it = nodes_.find(n);
    if (it != nodes_.end()) kept.emplace(n, std::move(it->second));
  }
  nodes_ = std::move(kept);
}

}  // namespace kprof::resources

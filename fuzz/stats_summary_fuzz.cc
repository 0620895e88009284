// libFuzzer target for the kubelet Summary API decoder (untrusted input: whatever a node
// proxy answers) and the rates computed from it.
//
// Any input must decode or fail with a Status, never crash, leak or trip a sanitizer.
// A decoded summary is fed to SummaryRates twice, the second time with every counter
// moved on; every number in the samples must be -1 (not measured) or finite and
// non-negative, or the target aborts and libFuzzer records a crash.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "resources/sample.h"

namespace {

using kprof::resources::Sample;
using kprof::resources::SummaryPod;

void Check(const std::vector<Sample>& samples) {
  for (const Sample& s : samples) {
    for (double v : {s.cpu_cores, s.memory_working_set_bytes, s.memory_rss_bytes,
                     s.rx_bytes_per_second, s.tx_bytes_per_second}) {
      if (v == -1 || (std::isfinite(v) && v >= 0)) continue;
      std::fprintf(stderr, "stats_summary_fuzz: bad value %g in %s/%s/%s\n", v,
                   s.namespace_.c_str(), s.pod.c_str(), s.container.c_str());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  kprof::Result<std::vector<SummaryPod>> pods = kprof::resources::ParseStatsSummary(input);
  if (!pods.ok()) {
    if (pods.status().message().empty()) std::abort();
    return 0;
  }
  kprof::resources::SummaryRates rates;
  Check(rates.Update("node", *pods, 1));
  // The same pods a little later, every counter and time moved on (or wrapped).
  for (SummaryPod& p : *pods) {
    for (auto& c : p.containers) {
      if (c.cpu_time_nanos < INT64_MAX - 1000000000) c.cpu_time_nanos += 1000000000;
      if (c.usage_core_nano_seconds) *c.usage_core_nano_seconds += 12345;
    }
    if (p.network_time_nanos < INT64_MAX - 3) p.network_time_nanos += 3;
    if (p.rx_bytes) *p.rx_bytes += 1;
    if (p.tx_bytes) *p.tx_bytes *= 2;
  }
  Check(rates.Update("node", *pods, 2));
  return 0;
}

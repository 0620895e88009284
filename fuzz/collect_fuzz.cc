// Fuzzes the collector's file parsers. The first byte picks one:
//   0: a spool entry (JSON header line + profile bytes), as read back from disk;
//   1: a static targets file (YAML);
//   2: a profile type list and a duration, as in annotations and flags.
// Each must return a value or an error for any input: no crash, no hang, no leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/spool.h"
#include "collect/target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto e = kprof::collect::DecodeEnvelope(input);
      if (e.ok()) (void)kprof::collect::EncodeEnvelope(*e);
      break;
    }
    case 1:
      (void)kprof::collect::ParseStaticTargets(input, kprof::collect::ScrapeDefaults{});
      break;
    default: {
      size_t cut = input.find('\n');
      (void)kprof::collect::ParseKinds(input.substr(0, cut));
      if (cut != std::string_view::npos)
        (void)kprof::collect::ParseDurationFlag(input.substr(cut + 1));
      break;
    }
  }
  return 0;
}

#include "pprof/profile.h"

namespace kprof::pprof {

void Profile::Clear() {
  strings.Clear();
  sample_types.clear();
  samples.clear();
  sample_locations.clear();
  values.clear();
  labels.clear();
  mappings.clear();
  locations.clear();
  lines.clear();
  functions.clear();
  drop_frames = keep_frames = 0;
  time_nanos = duration_nanos = 0;
  period_type = {};
  period = 0;
  comments.clear();
  default_sample_type = 0;
  doc_url = 0;
}

}  // namespace kprof::pprof

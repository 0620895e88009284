#include "store/profile_record.h"

#include "pprof/wire.h"

namespace kprof::store {

using pprof::UnZigZag;
using pprof::ZigZag;

namespace {

constexpr uint64_t kVersion = 1;

}  // namespace

std::string EncodeProfileRecord(const ProfileRecord& record) {
  const NormalizedProfile& p = record.profile;
  std::string out;
  out.reserve(64 + p.stacks.size() * (3 + p.sample_types.size() * 4));
  pprof::WireWriter w(&out);
  w.Varint(kVersion);
  w.Varint(ZigZag(p.time_nanos));
  w.Varint(ZigZag(p.duration_nanos));
  w.Varint(ZigZag(p.period));
  w.Varint(ZigZag(record.ingested_nanos));
  w.Varint(record.raw_bytes);
  w.Varint(p.period_type.type);
  w.Varint(p.period_type.unit);
  w.Varint(p.sample_types.size());
  for (size_t k = 0; k < p.sample_types.size(); ++k) {
    w.Varint(p.sample_types[k].type);
    w.Varint(p.sample_types[k].unit);
    w.Varint(ZigZag(k < record.totals.size() ? record.totals[k] : 0));
  }
  w.Varint(p.default_sample_type);
  w.Varint(p.drop_frames);
  w.Varint(p.keep_frames);
  w.Varint(p.comments.size());
  for (uint32_t c : p.comments) w.Varint(c);
  std::string instance = record.instance.Encode();
  w.Varint(instance.size());
  out += instance;
  const size_t n = p.sample_types.size();
  w.Varint(p.stacks.size());
  for (size_t i = 0; i < p.stacks.size(); ++i) {
    w.Varint(p.stacks[i]);
    w.Varint(p.label_sets[i]);
    for (size_t k = 0; k < n; ++k) w.Varint(ZigZag(p.values[i * n + k]));
  }
  return out;
}

Result<ProfileRecord> DecodeProfileRecord(std::string_view bytes, bool header_only) {
  pprof::WireReader r(bytes);
  ProfileRecord rec;
  NormalizedProfile& p = rec.profile;
  auto corrupt = [](std::string_view what) {
    return Internal("corrupt profile record: " + std::string(what));
  };
  if (r.ReadVarint() != kVersion) return corrupt("unknown version");
  p.time_nanos = UnZigZag(r.ReadVarint());
  p.duration_nanos = UnZigZag(r.ReadVarint());
  p.period = UnZigZag(r.ReadVarint());
  rec.ingested_nanos = UnZigZag(r.ReadVarint());
  rec.raw_bytes = r.ReadVarint();
  p.period_type.type = static_cast<uint32_t>(r.ReadVarint());
  p.period_type.unit = static_cast<uint32_t>(r.ReadVarint());
  uint64_t n = r.ReadVarint();
  if (n > 64) return corrupt("too many sample types");
  for (uint64_t k = 0; k < n; ++k) {
    uint32_t type = static_cast<uint32_t>(r.ReadVarint());
    uint32_t unit = static_cast<uint32_t>(r.ReadVarint());
    p.sample_types.push_back({type, unit});
    rec.totals.push_back(UnZigZag(r.ReadVarint()));
  }
  p.default_sample_type = static_cast<uint32_t>(r.ReadVarint());
  p.drop_frames = static_cast<uint32_t>(r.ReadVarint());
  p.keep_frames = static_cast<uint32_t>(r.ReadVarint());
  uint64_t comments = r.ReadVarint();
  if (comments > bytes.size()) return corrupt("too many comments");
  for (uint64_t k = 0; k < comments; ++k)
    p.comments.push_back(static_cast<uint32_t>(r.ReadVarint()));
  uint64_t instance_size = r.ReadVarint();
  if (r.failed() || instance_size > bytes.size() - r.offset()) return corrupt("truncated header");
  auto instance = Labels::Decode(bytes.substr(r.offset(), instance_size));
  if (!instance.ok()) return corrupt("bad instance attributes");
  rec.instance = std::move(instance).value();
  pprof::WireReader samples(bytes.substr(r.offset() + instance_size));
  uint64_t count = samples.ReadVarint();
  // Every sample takes at least 2 + n bytes.
  if (samples.failed() || count > bytes.size()) return corrupt("bad sample count");
  rec.sample_count = static_cast<uint32_t>(count);
  if (header_only) return rec;
  p.stacks.reserve(count);
  p.label_sets.reserve(count);
  p.values.reserve(count * n);
  for (uint64_t i = 0; i < count; ++i) {
    p.stacks.push_back(static_cast<uint32_t>(samples.ReadVarint()));
    p.label_sets.push_back(static_cast<uint32_t>(samples.ReadVarint()));
    for (uint64_t k = 0; k < n; ++k) p.values.push_back(UnZigZag(samples.ReadVarint()));
  }
  if (samples.failed()) return corrupt("truncated samples");
  return rec;
}

std::vector<int64_t> SampleTotals(const NormalizedProfile& p) {
  const size_t n = p.sample_types.size();
  std::vector<int64_t> totals(n, 0);
  for (size_t i = 0; i < p.num_samples(); ++i) {
    for (size_t k = 0; k < n; ++k) totals[k] += p.values[i * n + k];
  }
  return totals;
}

}  // namespace kprof::store

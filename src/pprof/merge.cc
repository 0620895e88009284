#include "pprof/merge.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "base/hash.h"

namespace kprof::pprof {

namespace {

std::string TypeNames(const Profile& p) {
  std::string out = "[";
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    if (i > 0) out += " ";
    out += p.str(p.sample_types[i].type);
    out += "/";
    out += p.str(p.sample_types[i].unit);
  }
  return out + "]";
}

}  // namespace

Merger::Merger() = default;

uint32_t Merger::InternString(std::string_view s) { return table_.InternString(s); }

Status Merger::CheckCompatible(const Profile& p) const {
  auto same = [&](const ValueType& vt, const std::pair<std::string, std::string>& names) {
    return p.str(vt.type) == names.first && p.str(vt.unit) == names.second;
  };
  if (!same(p.period_type, period_type_name_)) {
    return FailedPrecondition("incompatible profiles: period type " +
                              std::string(p.str(p.period_type.type)) + "/" +
                              std::string(p.str(p.period_type.unit)) + " differs from " +
                              period_type_name_.first + "/" + period_type_name_.second);
  }
  bool ok = p.sample_types.size() == sample_type_names_.size();
  for (size_t i = 0; ok && i < p.sample_types.size(); ++i) {
    ok = same(p.sample_types[i], sample_type_names_[i]);
  }
  if (!ok) {
    std::string first = "[";
    for (size_t i = 0; i < sample_type_names_.size(); ++i) {
      if (i > 0) first += " ";
      first += sample_type_names_[i].first + "/" + sample_type_names_[i].second;
    }
    first += "]";
    return FailedPrecondition("incompatible profiles: sample types " + TypeNames(p) +
                              " differ from " + first);
  }
  return Status::Ok();
}

void Merger::AddHeader(const Profile& p) {
  Profile& out_ = table_.mutable_symbols();
  if (count_ == 0) {
    for (const ValueType& vt : p.sample_types) {
      out_.sample_types.push_back({InternString(p.str(vt.type)), InternString(p.str(vt.unit))});
      sample_type_names_.emplace_back(p.str(vt.type), p.str(vt.unit));
    }
    out_.period_type = {InternString(p.str(p.period_type.type)),
                        InternString(p.str(p.period_type.unit))};
    period_type_name_ = {std::string(p.str(p.period_type.type)),
                         std::string(p.str(p.period_type.unit))};
    out_.drop_frames = p.drop_frames ? InternString(p.str(p.drop_frames)) : 0;
    out_.keep_frames = p.keep_frames ? InternString(p.str(p.keep_frames)) : 0;
    out_.doc_url = p.doc_url ? InternString(p.str(p.doc_url)) : 0;
  }
  if (out_.time_nanos == 0 || (p.time_nanos != 0 && p.time_nanos < out_.time_nanos)) {
    out_.time_nanos = p.time_nanos;
  }
  out_.duration_nanos += p.duration_nanos;
  out_.period = std::max(out_.period, p.period);
  for (uint32_t c : p.comments) {
    uint32_t index = InternString(p.str(c));
    if (std::find(out_.comments.begin(), out_.comments.end(), index) == out_.comments.end()) {
      out_.comments.push_back(index);
    }
  }
  if (out_.default_sample_type == 0 && p.default_sample_type != 0) {
    out_.default_sample_type = InternString(p.str(p.default_sample_type));
  }
}

Status Merger::Add(const Profile& p, std::span<const int64_t> scale) {
  if (count_ > 0) KPROF_RETURN_IF_ERROR(CheckCompatible(p));
  if (!scale.empty() && scale.size() != p.sample_types.size()) {
    return Internal("merge scale has the wrong number of factors");
  }
  AddHeader(p);
  ++count_;

  table_.Map(p);
  Profile& out_ = table_.mutable_symbols();

  // Samples.
  const size_t n = p.sample_types.size();
  key_values_.resize(n);
  for (size_t si = 0; si < p.samples.size(); ++si) {
    const Sample& s = p.samples[si];
    auto values = p.ValuesOf(si);
    bool zero = true;
    for (size_t k = 0; k < n; ++k) {
      key_values_[k] = scale.empty() ? values[k] : values[k] * scale[k];
      zero = zero && key_values_[k] == 0;
    }
    if (zero) continue;

    uint64_t h = s.location_count;
    key_locations_.clear();
    for (uint32_t loc : p.LocationsOf(s)) {
      uint32_t mapped = table_.LocationOf(loc);
      key_locations_.push_back(mapped);
      h = HashStep(h, mapped);
    }
    key_labels_.clear();
    for (const Label& label : p.LabelsOf(s)) {
      key_labels_.push_back({table_.MapString(p, label.key), table_.MapString(p, label.str),
                             label.num, table_.MapString(p, label.num_unit)});
    }
    if (key_labels_.size() > 1) std::sort(key_labels_.begin(), key_labels_.end(), LabelLess);
    for (const Label& label : key_labels_) {
      h = HashStep(
          HashStep(HashStep(HashStep(h, label.key), label.str), static_cast<uint64_t>(label.num)),
          label.num_unit);
    }
    h = HashMix(h);
    uint32_t found = samples_.Find(h, [&](uint32_t j) {
      const Sample& o = out_.samples[j];
      return o.location_count == key_locations_.size() && o.label_count == key_labels_.size() &&
             std::equal(key_locations_.begin(), key_locations_.end(),
                        out_.sample_locations.begin() + o.location_begin) &&
             std::equal(key_labels_.begin(), key_labels_.end(),
                        out_.labels.begin() + o.label_begin);
    });
    if (found == kNoIndex) {
      found = static_cast<uint32_t>(out_.samples.size());
      Sample copy;
      copy.location_begin = static_cast<uint32_t>(out_.sample_locations.size());
      copy.location_count = static_cast<uint32_t>(key_locations_.size());
      copy.label_begin = static_cast<uint32_t>(out_.labels.size());
      copy.label_count = static_cast<uint32_t>(key_labels_.size());
      out_.sample_locations.insert(out_.sample_locations.end(), key_locations_.begin(),
                                   key_locations_.end());
      out_.labels.insert(out_.labels.end(), key_labels_.begin(), key_labels_.end());
      out_.samples.push_back(copy);
      out_.values.insert(out_.values.end(), key_values_.begin(), key_values_.end());
      samples_.Insert(h, found);
    } else {
      int64_t* dst = out_.values.data() + static_cast<size_t>(found) * n;
      for (size_t k = 0; k < n; ++k) dst[k] += key_values_[k];
    }
  }
  return Status::Ok();
}

Profile Merger::Finish() {
  Profile result = std::move(table_.mutable_symbols());
  // Drop samples that summed to zero (only possible with negative inputs).
  KeepSamples(&result, [&result](size_t i) {
    auto values = result.ValuesOf(i);
    return std::any_of(values.begin(), values.end(), [](int64_t v) { return v != 0; });
  });

  table_.Clear();
  count_ = 0;
  samples_.Clear();
  sample_type_names_.clear();
  return result;
}

Result<Profile> MergeProfiles(std::span<const Profile> profiles) {
  if (profiles.empty()) return InvalidArgument("nothing to merge: no profiles given");
  Merger merger;
  for (size_t i = 0; i < profiles.size(); ++i) {
    Status s = merger.Add(profiles[i]);
    if (!s.ok()) return s.WithContext("profile " + std::to_string(i + 1));
  }
  return merger.Finish();
}

Result<Profile> MergeInParallel(const ParallelMergeInput& input, int threads,
                                const DecodeLimits& limits) {
  if (input.count == 0) return InvalidArgument("nothing to merge: no profiles given");
  size_t workers =
      std::clamp<size_t>(threads < 1 ? 1 : static_cast<size_t>(threads), 1, input.count);
  std::vector<Merger> mergers(workers);
  std::vector<Status> errors(workers);
  std::atomic<bool> failed{false};
  // Inputs are handed out in small chunks so a thread slowed by a noisy neighbour
  // does not hold up the others. Thread 0 always takes the first chunk, so the
  // first input's header fields (period type, drop_frames) win as in a sequential
  // merge; partial results are merged in thread order.
  const size_t chunk = std::max<size_t>(1, input.count / (workers * 32));
  std::atomic<size_t> next{chunk};
  auto work = [&](size_t t) {
    Decoder decoder(limits);
    Profile profile;
    std::string bytes;
    size_t begin = t == 0 ? 0 : next.fetch_add(chunk);
    while (begin < input.count && !failed.load(std::memory_order_relaxed)) {
      size_t end = std::min(input.count, begin + chunk);
      for (size_t i = begin; i < end; ++i) {
        Status s = input.load(i, &bytes);
        if (s.ok()) s = decoder.Decode(bytes, &profile);
        if (s.ok()) s = mergers[t].Add(profile);
        if (!s.ok()) {
          errors[t] =
              s.WithContext(input.name ? input.name(i) : "profile " + std::to_string(i + 1));
          failed = true;
          return;
        }
      }
      begin = next.fetch_add(chunk);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();
  for (const Status& s : errors) {
    if (!s.ok()) return s;
  }
  if (workers == 1) return mergers[0].Finish();
  Merger final_merger;
  for (size_t t = 0; t < workers; ++t) {
    if (mergers[t].count() == 0) continue;
    Profile partial = mergers[t].Finish();
    KPROF_RETURN_IF_ERROR(final_merger.Add(partial));
  }
  return final_merger.Finish();
}

bool IsCumulativeSampleType(std::string_view type) {
  return type == "alloc_objects" || type == "alloc_space" || type == "contentions" ||
         type == "delay";
}

Result<DeltaResult> Delta(const Profile& previous, const Profile& current) {
  const size_t n = current.sample_types.size();
  std::vector<int64_t> previous_scale(n);
  std::vector<size_t> cumulative;
  for (size_t k = 0; k < n; ++k) {
    bool is_cumulative = IsCumulativeSampleType(current.str(current.sample_types[k].type));
    previous_scale[k] = is_cumulative ? -1 : 0;
    if (is_cumulative) cumulative.push_back(k);
  }
  Merger merger;
  KPROF_RETURN_IF_ERROR(merger.Add(current));
  KPROF_RETURN_IF_ERROR(merger.Add(previous, previous_scale).WithContext("delta"));

  // A total that went down means the process restarted in between.
  DeltaResult result;
  for (size_t k : cumulative) {
    int64_t before = 0, after = 0;
    for (size_t i = 0; i < previous.samples.size(); ++i) before += previous.ValuesOf(i)[k];
    for (size_t i = 0; i < current.samples.size(); ++i) after += current.ValuesOf(i)[k];
    if (after < before) result.reset = true;
  }
  if (result.reset) {
    result.profile = current;
    return result;
  }
  result.profile = merger.Finish();
  result.profile.time_nanos = current.time_nanos;
  result.profile.period = current.period;
  if (previous.time_nanos > 0 && current.time_nanos > previous.time_nanos) {
    result.profile.duration_nanos = current.time_nanos - previous.time_nanos;
  } else {
    result.profile.duration_nanos = current.duration_nanos;
  }
  return result;
}

}  // namespace kprof::pprof

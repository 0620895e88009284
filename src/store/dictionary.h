// ServiceDictionary: one service's interned symbols, stacks and sample label sets.
//
// Stored profiles refer to it by id: a sample is (stack id, label-set id, values),
// where a stack is a list of location ids. Profiles of one service share nearly all
// symbols and stacks, so each is stored once; this is most of why a stored profile
// takes a small fraction of its pprof size.
//
// Records are only appended, with dense ids, so persisting is "write what is new
// since the last watermark", and loading replays records in id order.
//
// Thread-safety: none; the store serialises access per dictionary.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pprof/index_set.h"
#include "pprof/profile.h"
#include "pprof/symbol_table.h"

namespace kprof::store {

// Record kinds, in the order they must be loaded (each refers only to earlier kinds).
enum class RecordKind : uint8_t {
  kString = 1,
  kMapping = 2,
  kFunction = 3,
  kLocation = 4,
  kStack = 5,
  kLabelSet = 6,
};

// A profile in dictionary terms: ids instead of symbols.
struct NormalizedProfile {
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  int64_t period = 0;
  pprof::ValueType period_type;                // dictionary string ids
  std::vector<pprof::ValueType> sample_types;  // dictionary string ids
  uint32_t default_sample_type = 0;
  uint32_t drop_frames = 0;
  uint32_t keep_frames = 0;
  std::vector<uint32_t> comments;
  std::vector<uint32_t> stacks;      // one per sample
  std::vector<uint32_t> label_sets;  // one per sample; 0 = no labels
  std::vector<int64_t> values;       // samples × sample_types

  size_t num_samples() const { return stacks.size(); }
};

class ServiceDictionary {
 public:
  ServiceDictionary();

  // Interns what `p` needs and returns it in dictionary terms.
  NormalizedProfile Normalize(const pprof::Profile& p);

  // Builds a pprof profile from normalized parts, with only the symbols they use.
  // `header` supplies everything but the samples.
  pprof::Profile Build(const NormalizedProfile& header, std::span<const uint32_t> stacks,
                       std::span<const uint32_t> label_sets, std::span<const int64_t> values) const;

  struct Watermark {
    uint32_t strings = 0, mappings = 0, functions = 0, locations = 0, stacks = 0, label_sets = 0;
  };
  Watermark watermark() const;
  // Calls emit(kind, id, bytes) for every record added after `since`, in load order.
  void EmitRecordsSince(const Watermark& since,
                        const std::function<void(RecordKind, uint32_t, std::string)>& emit) const;
  // Replays a persisted record; ids must arrive densely in load order.
  Status Load(RecordKind kind, uint32_t id, std::string_view bytes);

  size_t stack_count() const { return stack_spans_.size(); }
  const pprof::Profile& symbols() const { return table_.symbols(); }
  std::span<const uint32_t> Stack(uint32_t id) const {
    return {stack_pool_.data() + stack_spans_[id].first, stack_spans_[id].second};
  }
  std::string_view String(uint32_t id) const { return table_.symbols().str(id); }
  uint32_t InternString(std::string_view s) { return table_.InternString(s); }

 private:
  uint32_t InternStack(std::span<const uint32_t> locations);
  uint32_t InternLabelSet(std::span<const pprof::Label> labels);

  pprof::SymbolTable table_;
  pprof::IndexSet stacks_;
  std::vector<uint32_t> stack_pool_;
  std::vector<std::pair<uint32_t, uint32_t>> stack_spans_;  // [begin, count) into the pool
  pprof::IndexSet label_sets_;
  std::vector<pprof::Label> label_pool_;
  std::vector<std::pair<uint32_t, uint32_t>> label_set_spans_;  // id 0 = empty

  std::vector<uint32_t> scratch_stack_;
  std::vector<pprof::Label> scratch_labels_;
};

}  // namespace kprof::store

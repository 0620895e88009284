#include "store/embedded/rocks_store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "pprof/merge.h"
#include "pprof/wire.h"
#include "store/dictionary.h"
#include "store/embedded/group_commit.h"
#include "store/embedded/keys.h"
#include "store/profile_record.h"

namespace kprof::store {

namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return NotFound(std::string(what) + ": not found");
  return Unavailable(std::string(what) + ": " + s.ToString());
}

constexpr int64_t kNoWatermark = INT64_MIN;

struct Service {
  uint32_t id = 0;
  std::string name;
  ServiceDictionary dict;
  ServiceDictionary::Watermark persisted;  // dictionary records known to be on disk
  bool registered = false;                 // the service record is on disk
};

struct Series {
  uint32_t id = 0;
  uint32_t service = 0;
  std::string type;
  Labels labels;
  bool registered = false;
  int64_t watermark = kNoWatermark;  // every rollup bucket ending at or before it is built
  int64_t building = kNoWatermark;   // Maintain() is building buckets up to here
};

std::string SeriesIdentity(uint32_t service, const std::string& type, const Labels& labels) {
  std::string k;
  keys::PutU32(&k, service);
  k += type;
  k.push_back('\0');
  k += labels.Encode();
  return k;
}

// Label matchers that can be decided per series vs those needing per-profile facts.
struct SplitSelector {
  std::vector<const LabelMatcher*> series;
  std::vector<const LabelMatcher*> instance;
};

// Sums samples of normalized profiles by (stack, label set).
class Accumulator {
 public:
  // Adds a profile, or a rollup row standing for `profiles` profiles.
  void Add(const NormalizedProfile& p, size_t profiles = 1) {
    const size_t n = p.sample_types.size();
    if (count_ == 0) {
      header_ = p;
      header_.stacks.clear();
      header_.label_sets.clear();
      header_.values.clear();
      header_.duration_nanos = 0;
      header_.time_nanos = 0;
      n_ = n;
    }
    count_ += profiles;
    if (n != n_) return;  // a different profile shape: not mergeable, skipped
    if (header_.time_nanos == 0 || (p.time_nanos != 0 && p.time_nanos < header_.time_nanos)) {
      header_.time_nanos = p.time_nanos;
    }
    header_.duration_nanos += p.duration_nanos;
    header_.period = std::max(header_.period, p.period);
    for (size_t i = 0; i < p.stacks.size(); ++i) {
      uint64_t key = uint64_t{p.stacks[i]} << 32 | p.label_sets[i];
      auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(stacks_.size()));
      if (inserted) {
        stacks_.push_back(p.stacks[i]);
        label_sets_.push_back(p.label_sets[i]);
        values_.insert(values_.end(), p.values.begin() + i * n, p.values.begin() + (i + 1) * n);
      } else {
        int64_t* dst = values_.data() + size_t{it->second} * n;
        for (size_t k = 0; k < n; ++k) dst[k] += p.values[i * n + k];
      }
    }
  }
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  // The sum as one normalized profile (for rollup rows).
  NormalizedProfile Sum() const {
    NormalizedProfile out = header_;
    out.stacks = stacks_;
    out.label_sets = label_sets_;
    out.values = values_;
    return out;
  }
  pprof::Profile Build(const ServiceDictionary& dict) const {
    return dict.Build(header_, stacks_, label_sets_, values_);
  }

 private:
  size_t count_ = 0;
  size_t n_ = 0;
  NormalizedProfile header_;
  std::unordered_map<uint64_t, uint32_t> index_;
  std::vector<uint32_t> stacks_;
  std::vector<uint32_t> label_sets_;
  std::vector<int64_t> values_;
};

// Time rollups: pre-aggregated buckets per series.
constexpr int64_t kMinute = 60'000'000'000;
constexpr int64_t kRollupSizes[3] = {kMinute, 10 * kMinute, 60 * kMinute};
// A bucket is built once this long has passed since its end: time for late uploads.
constexpr int64_t kRollupGrace = 2 * kMinute;

int64_t FloorTo(int64_t t, int64_t size) {
  int64_t q = t / size;
  if (t % size != 0 && t < 0) --q;
  return q * size;
}

std::string RollupKey(uint32_t series, int resolution, int64_t start) {
  std::string k;
  keys::PutU32(&k, series);
  k.push_back(static_cast<char>(resolution));
  keys::PutU64(&k, keys::TimeBits(start));
  return k;
}

std::string DirtyKey(uint32_t series, int resolution, int64_t start) {
  return "dty" + RollupKey(series, resolution, start);
}

std::string WatermarkKey(uint32_t series) {
  std::string k = "wm";
  keys::PutU32(&k, series);
  return k;
}

// A rollup row: the number of profiles, then a profile record of their sum.
std::string EncodeRollup(const Accumulator& acc) {
  std::string out;
  pprof::WireWriter w(&out);
  w.Varint(acc.count());
  ProfileRecord record;
  record.profile = acc.Sum();
  out += EncodeProfileRecord(record);
  return out;
}

Result<std::pair<size_t, ProfileRecord>> DecodeRollup(std::string_view bytes) {
  pprof::WireReader r(bytes);
  uint64_t count = r.ReadVarint();
  if (r.failed()) return Internal("corrupt rollup row");
  KPROF_ASSIGN_OR_RETURN(ProfileRecord rec, DecodeProfileRecord(bytes.substr(r.offset())));
  return std::make_pair(static_cast<size_t>(count), std::move(rec));
}

class RocksStore final : public ProfileStore {
 public:
  explicit RocksStore(EmbeddedOptions options) : options_(std::move(options)) {
    instance_names_.insert(options_.instance_label_names.begin(),
                           options_.instance_label_names.end());
    std::random_device rd;
    next_seq_ = rd();
  }

  ~RocksStore() override {
    writer_.reset();
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
  }

  Status Open() {
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    db_options.bytes_per_sync = 1 << 20;
    rocksdb::ColumnFamilyOptions compressed;
    compressed.compression = rocksdb::kZSTD;
    compressed.bottommost_compression = rocksdb::kZSTD;
    compressed.write_buffer_size = 32 << 20;
    // Uploads are usually gzipped already; RocksDB keeps a block uncompressed when zstd
    // does not shrink it, so plain-protobuf uploads still get compressed.
    rocksdb::ColumnFamilyOptions raw_options = compressed;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, compressed},
        {"meta", compressed},
        {"dict", compressed},
        {"profiles", compressed},
        {"raw", raw_options},
        {"rollups", compressed},
    };
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, options_.data_dir, families, &handles_, &db);
    if (!s.ok()) {
      return Unavailable("cannot open the store in " + options_.data_dir + ": " + s.ToString() +
                         " (is another kprof server using it?)");
    }
    db_.reset(db);
    meta_ = handles_[1];
    dict_ = handles_[2];
    profiles_ = handles_[3];
    raw_ = handles_[4];
    rollups_ = handles_[5];
    KPROF_RETURN_IF_ERROR(Load());
    writer_ = std::make_unique<GroupCommitWriter>(db_.get(), options_.sync);
    return Status::Ok();
  }

  Result<ProfileMeta> Ingest(IngestInput in) override {
    int64_t now = NowNanos();
    int64_t time = in.time_nanos != 0           ? in.time_nanos
                   : in.profile.time_nanos != 0 ? in.profile.time_nanos
                                                : now;
    Labels series_labels, instance;
    for (const Label& l : in.labels) {
      if (instance_names_.count(l.name)) {
        instance.Set(l.name, l.value);
      } else {
        series_labels.Set(l.name, l.value);
      }
    }
    rocksdb::WriteBatch batch;
    ProfileRecord record;
    record.instance = instance;
    record.ingested_nanos = now;
    record.raw_bytes = in.raw.size();
    uint32_t series_id = 0;
    Service* service = nullptr;
    ServiceDictionary::Watermark target;
    Series* series = nullptr;
    uint32_t seq = 0;
    {
      std::unique_lock lock(mu_);
      service = GetOrCreateService(in.service);
      series = GetOrCreateSeries(service->id, in.type, series_labels);
      series_id = series->id;
      if (time < std::max(series->watermark, series->building)) {
        // A late profile: its buckets are already built. Mark them stale in the same
        // batch; queries read raw profiles for them until Maintain() rebuilds them.
        for (int r = 0; r < 3; ++r) {
          batch.Put(meta_, DirtyKey(series_id, r, FloorTo(time, kRollupSizes[r])), "");
        }
      }
      if (!service->registered) batch.Put(meta_, ServiceKey(service->id), service->name);
      if (!series->registered) batch.Put(meta_, SeriesKey(series->id), EncodeSeries(*series));
      record.profile = service->dict.Normalize(in.profile);
      record.profile.time_nanos = time;
      service->dict.EmitRecordsSince(
          service->persisted, [&](RecordKind kind, uint32_t id, std::string bytes) {
            batch.Put(dict_, keys::DictKey(service->id, static_cast<uint8_t>(kind), id), bytes);
          });
      target = service->dict.watermark();
      seq = next_seq_++;
    }
    record.totals = SampleTotals(record.profile);  // outside the lock: queries go on
    keys::ProfileKey key{series_id, time, seq};
    std::string k = key.Encode();
    batch.Put(profiles_, k, EncodeProfileRecord(record));
    batch.Put(raw_, k, in.raw);
    KPROF_RETURN_IF_ERROR(writer_->Commit(std::move(batch)));
    {
      std::unique_lock lock(mu_);
      service->registered = true;
      series->registered = true;
      Advance(&service->persisted, target);
    }
    ProfileMeta meta;
    meta.id = key.Id();
    meta.service = in.service;
    meta.type = in.type;
    meta.labels = in.labels;
    meta.time_nanos = time;
    meta.duration_nanos = record.profile.duration_nanos;
    meta.ingested_nanos = now;
    meta.samples = static_cast<uint32_t>(record.profile.num_samples());
    meta.raw_bytes = in.raw.size();
    meta.raw_kept = true;
    meta.sample_types.reserve(in.profile.sample_types.size());
    for (const pprof::ValueType& vt : in.profile.sample_types) {
      meta.sample_types.emplace_back(in.profile.str(vt.type), in.profile.str(vt.unit));
    }
    meta.totals = record.totals;
    return meta;
  }

  Result<std::vector<ProfileMeta>> List(const ProfileQuery& q) override {
    SplitSelector split = Split(q.selector);
    std::vector<uint32_t> candidates;
    {
      std::shared_lock lock(mu_);
      candidates = MatchingSeries(q, split);
    }
    std::optional<keys::ProfileKey> after;
    std::string after_key;
    int64_t from = q.from_nanos, to = q.to_nanos;
    if (!q.after.empty()) {
      after = keys::ProfileKey::FromId(q.after);
      if (!after) return InvalidArgument("invalid page token \"" + q.after + "\"");
      after_key = after->Encode();
      // Start each series at the page token's time; only entries at that very time
      // need comparing with the token below.
      if (q.descending) {
        to = std::min(to, after->time == INT64_MAX ? INT64_MAX : after->time + 1);
      } else {
        from = std::max(from, after->time);
      }
    }
    // k-way merge of per-series iterators, by time (then id).
    struct Cursor {
      std::unique_ptr<rocksdb::Iterator> it;
      uint32_t series;
      std::string end;
    };
    std::vector<Cursor> cursors;
    rocksdb::ReadOptions ro;
    for (uint32_t s : candidates) {
      Cursor c;
      c.series = s;
      c.it.reset(db_->NewIterator(ro, profiles_));
      if (q.descending) {
        c.end = keys::ProfileKey{s, from, 0}.Encode();
        std::string start = keys::ProfileKey{s, to, 0}.Encode();
        c.it->SeekForPrev(start);
        if (c.it->Valid() && c.it->key().ToString() >= start) c.it->Prev();
      } else {
        c.end = keys::ProfileKey{s, to, 0}.Encode();
        c.it->Seek(keys::ProfileKey{s, from, 0}.Encode());
      }
      cursors.push_back(std::move(c));
    }
    auto valid = [&](const Cursor& c) {
      if (!c.it->Valid()) return false;
      std::string_view k = c.it->key().ToStringView();
      if (keys::GetU32(k, 0) != c.series) return false;
      return q.descending ? k >= c.end : k < c.end;
    };
    auto time_of = [](const Cursor& c) {
      return keys::ProfileKey::Decode(c.it->key().ToStringView())->time;
    };
    auto later = [&](size_t a, size_t b) {
      int64_t ta = time_of(cursors[a]), tb = time_of(cursors[b]);
      if (ta != tb) return q.descending ? ta < tb : ta > tb;
      return q.descending ? cursors[a].it->key().compare(cursors[b].it->key()) < 0
                          : cursors[a].it->key().compare(cursors[b].it->key()) > 0;
    };
    std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (valid(cursors[i])) heap.push(i);
    }
    std::vector<ProfileMeta> out;
    while (!heap.empty() && (q.limit == 0 || out.size() < q.limit)) {
      size_t i = heap.top();
      heap.pop();
      Cursor& c = cursors[i];
      auto key = keys::ProfileKey::Decode(c.it->key().ToStringView());
      bool skip = false;
      if (after && key->time == after->time) {
        // Same time as the token: order by key, as the heap does.
        std::string_view k = c.it->key().ToStringView();
        skip = q.descending ? k >= after_key : k <= after_key;
      }
      if (!skip) {
        auto rec = DecodeProfileRecord(c.it->value().ToStringView(), /*header_only=*/true);
        if (!rec.ok()) return rec.status();
        auto meta = MetaFor(*key, *rec);
        if (meta.ok() && MatchesInstance(split, meta->labels))
          out.push_back(std::move(meta).value());
      }
      if (q.descending) {
        c.it->Prev();
      } else {
        c.it->Next();
      }
      if (valid(c)) heap.push(i);
    }
    return out;
  }

  Result<ProfileMeta> Meta(const ProfileId& id) override {
    KPROF_ASSIGN_OR_RETURN(keys::ProfileKey key, ParseId(id));
    std::string value;
    KPROF_RETURN_IF_ERROR(FromRocks(
        db_->Get(rocksdb::ReadOptions(), profiles_, key.Encode(), &value), "profile " + id));
    KPROF_ASSIGN_OR_RETURN(ProfileRecord rec, DecodeProfileRecord(value, true));
    return MetaFor(key, rec);
  }

  Result<std::string> GetRaw(const ProfileId& id) override {
    KPROF_ASSIGN_OR_RETURN(keys::ProfileKey key, ParseId(id));
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), raw_, key.Encode(), &value);
    if (s.IsNotFound()) return NotFound("profile " + id + " not found (or its raw upload expired)");
    KPROF_RETURN_IF_ERROR(FromRocks(s, "profile " + id));
    return value;
  }

  Result<pprof::Profile> Get(const ProfileId& id) override {
    KPROF_ASSIGN_OR_RETURN(keys::ProfileKey key, ParseId(id));
    std::string value;
    KPROF_RETURN_IF_ERROR(FromRocks(
        db_->Get(rocksdb::ReadOptions(), profiles_, key.Encode(), &value), "profile " + id));
    KPROF_ASSIGN_OR_RETURN(ProfileRecord rec, DecodeProfileRecord(value));
    std::shared_lock lock(mu_);
    if (key.series >= series_.size()) return NotFound("profile " + id + " not found");
    const Service& service = *services_[series_[key.series]->service];
    KPROF_RETURN_IF_ERROR(CheckIds(service, rec.profile));
    return service.dict.Build(rec.profile, rec.profile.stacks, rec.profile.label_sets,
                              rec.profile.values);
  }

  Result<MergeOutcome> Merge(const ProfileQuery& q) override {
    if (q.type.empty()) return InvalidArgument("merge needs a profile type");
    SplitSelector split = Split(q.selector);
    // Group series by service: each service has its own dictionary.
    std::map<uint32_t, std::vector<uint32_t>> by_service;
    {
      std::shared_lock lock(mu_);
      for (uint32_t s : MatchingSeries(q, split)) by_service[series_[s]->service].push_back(s);
    }
    MergeOutcome outcome;
    pprof::Merger merger;
    for (auto& [service_id, series_ids] : by_service) {
      Accumulator acc;
      for (uint32_t s : series_ids) {
        KPROF_RETURN_IF_ERROR(MergeSeries(s, q, split, &acc, &outcome));
      }
      if (acc.empty()) continue;
      std::shared_lock lock(mu_);
      const Service& service = *services_[service_id];
      pprof::Profile part = acc.Build(service.dict);
      lock.unlock();
      Status s = merger.Add(part);
      if (!s.ok()) return s.WithContext("service " + service.name);
    }
    if (outcome.profiles_matched == 0) {
      return NotFound("no " + q.type + " profiles match the query");
    }
    outcome.profile = merger.Finish();
    return outcome;
  }

  Status Maintain(int64_t now) override {
    std::vector<std::pair<uint32_t, int64_t>> series;  // id, watermark
    {
      std::shared_lock lock(mu_);
      for (const auto& s : series_) series.emplace_back(s->id, s->watermark);
    }
    int64_t cutoff = FloorTo(now - kRollupGrace, kMinute);
    for (auto [id, watermark] : series) {
      KPROF_RETURN_IF_ERROR(RebuildDirty(id, watermark));
      int64_t start = watermark;
      if (start == kNoWatermark) {
        // A new series: start at the hour of its first profile.
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), profiles_));
        it->Seek(keys::ProfileKey{id, INT64_MIN, 0}.Encode());
        if (!it->Valid() || keys::GetU32(it->key().ToStringView(), 0) != id) continue;
        start = FloorTo(keys::ProfileKey::Decode(it->key().ToStringView())->time, kRollupSizes[2]);
      }
      // An hour at a time, so a long backlog never needs much memory.
      while (start < cutoff) {
        int64_t end = std::min(cutoff, FloorTo(start, kRollupSizes[2]) + kRollupSizes[2]);
        KPROF_RETURN_IF_ERROR(BuildRange(id, start, end));
        start = end;
      }
    }
    return Status::Ok();
  }

  Status Compact() override {
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      KPROF_RETURN_IF_ERROR(FromRocks(db_->CompactRange(options, h, nullptr, nullptr), "compact"));
    }
    return Status::Ok();
  }

  Result<std::vector<ServiceInfo>> Services() override {
    std::shared_lock lock(mu_);
    std::map<std::string, std::set<std::string>> types;
    for (const auto& s : series_) types[services_[s->service]->name].insert(s->type);
    std::vector<ServiceInfo> out;
    for (auto& [name, t] : types) out.push_back({name, {t.begin(), t.end()}});
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const ProfileQuery& q) override {
    std::set<std::string> names;
    KPROF_RETURN_IF_ERROR(VisitLabels(q, [&](const Label& l) { names.insert(l.name); }));
    return std::vector<std::string>(names.begin(), names.end());
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const ProfileQuery& q) override {
    std::set<std::string> values;
    KPROF_RETURN_IF_ERROR(VisitLabels(q, [&](const Label& l) {
      if (l.name == name) values.insert(l.value);
    }));
    return std::vector<std::string>(values.begin(), values.end());
  }

  Status ApplyRetention(const RetentionPolicy& policy, int64_t now) override {
    std::vector<uint32_t> all;
    {
      std::shared_lock lock(mu_);
      for (const auto& s : series_) all.push_back(s->id);
    }
    rocksdb::WriteBatch batch;
    for (uint32_t s : all) {
      std::string begin = keys::ProfileKey{s, INT64_MIN, 0}.Encode();
      if (policy.profiles_nanos > 0) {
        std::string end = keys::ProfileKey{s, now - policy.profiles_nanos, 0}.Encode();
        batch.DeleteRange(profiles_, begin, end);
        batch.DeleteRange(raw_, begin, end);
      }
      if (policy.raw_nanos > 0) {
        batch.DeleteRange(raw_, begin, keys::ProfileKey{s, now - policy.raw_nanos, 0}.Encode());
      }
      if (policy.profiles_nanos > 0) {
        for (int r = 0; r < 3; ++r) {
          batch.DeleteRange(rollups_, RollupKey(s, r, INT64_MIN),
                            RollupKey(s, r, FloorTo(now - policy.profiles_nanos, kRollupSizes[r])));
        }
      }
    }
    return writer_->Commit(std::move(batch));
  }

  Result<StoreStats> Stats() override {
    StoreStats stats;
    {
      std::shared_lock lock(mu_);
      stats.series = series_.size();
      stats.services = services_.size();
      for (const auto& s : services_) {
        const pprof::Profile& d = s->dict.symbols();
        stats.symbols += d.functions.size() + d.locations.size() + s->dict.stack_count();
      }
    }
    uint64_t v = 0;
    if (db_->GetIntProperty(profiles_, "rocksdb.estimate-num-keys", &v)) stats.profiles = v;
    for (rocksdb::ColumnFamilyHandle* h : {meta_, dict_, profiles_, rollups_}) {
      if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) stats.disk_bytes += v;
      if (db_->GetIntProperty(h, "rocksdb.size-all-mem-tables", &v)) stats.disk_bytes += v;
    }
    if (db_->GetIntProperty(raw_, "rocksdb.total-sst-files-size", &v)) stats.raw_disk_bytes += v;
    if (db_->GetIntProperty(raw_, "rocksdb.size-all-mem-tables", &v)) stats.raw_disk_bytes += v;
    return stats;
  }

 private:
  // Adds one series' profiles in [q.from, q.to) to `acc`, from rollup rows where whole
  // clean buckets fit and from stored profiles elsewhere.
  Status MergeSeries(uint32_t series, const ProfileQuery& q, const SplitSelector& split,
                     Accumulator* acc, MergeOutcome* outcome) {
    // Rollups cannot answer per-profile (instance) filters.
    bool use_rollups = q.use_rollups && split.instance.empty();
    // Instance filters see the series labels plus each profile's instance attributes.
    Labels series_labels;
    if (!split.instance.empty()) series_labels = SeriesLabelsOf(series);
    auto add_raw = [&](int64_t from, int64_t to) {
      return ScanProfiles(series, from, to, [&](int64_t, ProfileRecord& rec) {
        if (!split.instance.empty()) {
          Labels labels = series_labels;
          for (const Label& l : rec.instance) labels.Set(l.name, l.value);
          if (!MatchesInstance(split, labels)) return;
        }
        ++outcome->profiles_matched;
        if (outcome->profiles_merged >= options_.max_profiles_per_merge) return;
        ++outcome->profiles_merged;
        acc->Add(rec.profile);
      });
    };
    int64_t watermark = kNoWatermark;
    if (use_rollups) {
      std::shared_lock lock(mu_);
      watermark = series_[series]->watermark;
    }
    if (watermark == kNoWatermark || q.from_nanos >= watermark) {
      return add_raw(q.from_nanos, q.to_nanos);
    }
    std::vector<std::pair<int, int64_t>> stale = DirtyBuckets(series);
    std::set<std::pair<int, int64_t>> dirty(stale.begin(), stale.end());
    rocksdb::ReadOptions ro;
    int64_t t = q.from_nanos;
    int64_t built_until = std::min(q.to_nanos, watermark);
    while (t < q.to_nanos) {
      int chosen = -1;
      for (int r = 2; r >= 0 && t < built_until; --r) {
        int64_t size = kRollupSizes[r];
        if (FloorTo(t, size) == t && t + size <= built_until && !dirty.count({r, t})) {
          chosen = r;
          break;
        }
      }
      if (chosen >= 0) {
        std::string value;
        rocksdb::Status s = db_->Get(ro, rollups_, RollupKey(series, chosen, t), &value);
        if (s.ok()) {
          KPROF_ASSIGN_OR_RETURN(auto row, DecodeRollup(value));
          outcome->profiles_matched += row.first;
          outcome->profiles_merged += row.first;
          acc->Add(row.second.profile, row.first);
          ++outcome->rollup_buckets;
        } else if (!s.IsNotFound()) {
          return FromRocks(s, "rollup");
        }
        t += kRollupSizes[chosen];
        continue;
      }
      // Raw up to the next minute boundary (or, past the watermark, to the end).
      int64_t next =
          t >= built_until ? q.to_nanos : std::min(q.to_nanos, FloorTo(t, kMinute) + kMinute);
      KPROF_RETURN_IF_ERROR(add_raw(t, next));
      t = next;
    }
    return Status::Ok();
  }

  // Builds the rollup rows of [from, to) for one series (to is minute-aligned and the
  // range lies within one hour) and advances its watermark to `to`.
  Status BuildRange(uint32_t series, int64_t from, int64_t to) {
    {
      // From here on, profiles for this range count as late (ingest marks them dirty),
      // so one that arrives while the range is scanned is not lost from the rollups.
      std::unique_lock lock(mu_);
      series_[series]->building = std::max(series_[series]->building, to);
    }
    rocksdb::WriteBatch batch;
    std::map<int64_t, Accumulator> minutes;
    KPROF_RETURN_IF_ERROR(ScanProfiles(series, from, to, [&](int64_t time, ProfileRecord& rec) {
      minutes[FloorTo(time, kMinute)].Add(rec.profile);
    }));
    for (auto& [start, acc] : minutes)
      batch.Put(rollups_, RollupKey(series, 0, start), EncodeRollup(acc));
    KPROF_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "rollup"));
    batch.Clear();
    // Coarser buckets that this range completed, from the finer rows.
    for (int r = 1; r < 3; ++r) {
      int64_t size = kRollupSizes[r];
      for (int64_t b = FloorTo(from, size); b + size <= to; b += size) {
        if (b + size <= from) continue;
        KPROF_RETURN_IF_ERROR(BuildFromFiner(series, r, b, &batch));
      }
      KPROF_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "rollup"));
      batch.Clear();
    }
    std::string wm;
    keys::PutU64(&wm, keys::TimeBits(to));
    batch.Put(meta_, WatermarkKey(series), wm);
    KPROF_RETURN_IF_ERROR(writer_->Commit(std::move(batch)));
    std::unique_lock lock(mu_);
    series_[series]->watermark = std::max(series_[series]->watermark, to);
    return Status::Ok();
  }

  // Puts the row of bucket (r, start) merged from the rows of resolution r-1.
  Status BuildFromFiner(uint32_t series, int r, int64_t start, rocksdb::WriteBatch* batch) {
    Accumulator acc;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), rollups_));
    std::string end = RollupKey(series, r - 1, start + kRollupSizes[r]);
    for (it->Seek(RollupKey(series, r - 1, start)); it->Valid() && it->key().compare(end) < 0;
         it->Next()) {
      KPROF_ASSIGN_OR_RETURN(auto row, DecodeRollup(it->value().ToStringView()));
      acc.Add(row.second.profile, row.first);
    }
    std::string key = RollupKey(series, r, start);
    if (acc.empty()) {
      batch->Delete(rollups_, key);
    } else {
      batch->Put(rollups_, key, EncodeRollup(acc));
    }
    return Status::Ok();
  }

  // Calls visit(time, record) for each stored profile of `series` in [from, to), in time
  // order. Stops at the first record that does not decode.
  template <typename Visit>
  Status ScanProfiles(uint32_t series, int64_t from, int64_t to, Visit&& visit) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), profiles_));
    std::string end = keys::ProfileKey{series, to, 0}.Encode();
    for (it->Seek(keys::ProfileKey{series, from, 0}.Encode());
         it->Valid() && it->key().compare(end) < 0; it->Next()) {
      auto rec = DecodeProfileRecord(it->value().ToStringView());
      if (!rec.ok()) return rec.status();
      visit(keys::ProfileKey::Decode(it->key().ToStringView())->time, *rec);
    }
    return Status::Ok();
  }

  // The (resolution, bucket start) of every rollup bucket of `series` marked stale,
  // in key order: resolution first, then time.
  std::vector<std::pair<int, int64_t>> DirtyBuckets(uint32_t series) {
    std::vector<std::pair<int, int64_t>> dirty;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
    std::string prefix = "dty";
    keys::PutU32(&prefix, series);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view k = it->key().ToStringView();
      if (k.size() == 16) dirty.push_back({k[7], keys::TimeFromBits(keys::GetU64(k, 8))});
    }
    return dirty;
  }

  // Rebuilds buckets that late profiles made stale, finest first, and clears their marks.
  Status RebuildDirty(uint32_t series, int64_t watermark) {
    // Sorted by resolution, so minute rows are rebuilt before the rows made of them.
    for (auto [r, start] : DirtyBuckets(series)) {
      rocksdb::WriteBatch batch;
      if (start + kRollupSizes[r] <= watermark) {
        if (r == 0) {
          Accumulator acc;
          KPROF_RETURN_IF_ERROR(
              ScanProfiles(series, start, start + kMinute,
                           [&](int64_t, ProfileRecord& rec) { acc.Add(rec.profile); }));
          if (!acc.empty()) batch.Put(rollups_, RollupKey(series, 0, start), EncodeRollup(acc));
        } else {
          KPROF_RETURN_IF_ERROR(BuildFromFiner(series, r, start, &batch));
        }
      }
      batch.Delete(meta_, DirtyKey(series, r, start));
      KPROF_RETURN_IF_ERROR(writer_->Commit(std::move(batch)));
    }
    return Status::Ok();
  }

  static std::string ServiceKey(uint32_t id) {
    std::string k = "svc";
    keys::PutU32(&k, id);
    return k;
  }
  static std::string SeriesKey(uint32_t id) {
    std::string k = "ser";
    keys::PutU32(&k, id);
    return k;
  }
  static std::string EncodeSeries(const Series& s) {
    std::string v;
    keys::PutU32(&v, s.service);
    keys::PutU32(&v, static_cast<uint32_t>(s.type.size()));
    v += s.type;
    v += s.labels.Encode();
    return v;
  }

  static void Advance(ServiceDictionary::Watermark* w, const ServiceDictionary::Watermark& t) {
    w->strings = std::max(w->strings, t.strings);
    w->mappings = std::max(w->mappings, t.mappings);
    w->functions = std::max(w->functions, t.functions);
    w->locations = std::max(w->locations, t.locations);
    w->stacks = std::max(w->stacks, t.stacks);
    w->label_sets = std::max(w->label_sets, t.label_sets);
  }

  Result<keys::ProfileKey> ParseId(const ProfileId& id) const {
    auto key = keys::ProfileKey::FromId(id);
    if (!key) {
      return NotFound("profile " + id + " not found (ids are 32 lowercase hex characters)");
    }
    return *key;
  }

  Status CheckIds(const Service& service, const NormalizedProfile& p) const {
    size_t stacks = service.dict.stack_count();
    for (uint32_t s : p.stacks) {
      if (s >= stacks) return Internal("stored profile refers to an unknown stack");
    }
    return Status::Ok();
  }

  Service* GetOrCreateService(const std::string& name) {
    auto it = service_index_.find(name);
    if (it != service_index_.end()) return services_[it->second].get();
    auto s = std::make_unique<Service>();
    s->id = static_cast<uint32_t>(services_.size());
    s->name = name;
    s->persisted = s->dict.watermark();
    service_index_.emplace(name, s->id);
    services_.push_back(std::move(s));
    return services_.back().get();
  }

  Series* GetOrCreateSeries(uint32_t service, const std::string& type, const Labels& labels) {
    std::string identity = SeriesIdentity(service, type, labels);
    auto it = series_index_.find(identity);
    if (it != series_index_.end()) return series_[it->second].get();
    auto s = std::make_unique<Series>();
    s->id = static_cast<uint32_t>(series_.size());
    s->service = service;
    s->type = type;
    s->labels = labels;
    series_index_.emplace(identity, s->id);
    series_.push_back(std::move(s));
    return series_.back().get();
  }

  Labels SeriesLabelsOf(uint32_t series) {
    std::shared_lock lock(mu_);
    return series_[series]->labels;
  }

  SplitSelector Split(const Selector& selector) const {
    SplitSelector split;
    for (const LabelMatcher& m : selector.matchers()) {
      (instance_names_.count(m.name) ? split.instance : split.series).push_back(&m);
    }
    return split;
  }

  static bool MatchesInstance(const SplitSelector& split, const Labels& labels) {
    for (const LabelMatcher* m : split.instance) {
      if (!m->Matches(labels.Get(m->name))) return false;
    }
    return true;
  }

  // Series of the query's service and type whose labels satisfy the series matchers.
  // The pseudo-labels "service" and "type" may be matched too. Caller holds mu_.
  std::vector<uint32_t> MatchingSeries(const ProfileQuery& q, const SplitSelector& split) const {
    std::vector<uint32_t> out;
    for (const auto& s : series_) {
      const std::string& service = services_[s->service]->name;
      if (!q.service.empty() && service != q.service) continue;
      if (!q.type.empty() && s->type != q.type) continue;
      bool ok = true;
      for (const LabelMatcher* m : split.series) {
        std::optional<std::string_view> value = s->labels.Get(m->name);
        if (m->name == "service" && !value) value = service;
        if (m->name == "type" && !value) value = s->type;
        if (!m->Matches(value)) {
          ok = false;
          break;
        }
      }
      if (ok) out.push_back(s->id);
    }
    return out;
  }

  Result<ProfileMeta> MetaFor(const keys::ProfileKey& key, const ProfileRecord& rec) {
    ProfileMeta meta;
    {
      std::shared_lock lock(mu_);
      if (key.series >= series_.size()) return NotFound("profile " + key.Id() + " not found");
      const Series& s = *series_[key.series];
      const Service& service = *services_[s.service];
      meta.service = service.name;
      meta.type = s.type;
      meta.labels = s.labels;
      size_t strings = service.dict.symbols().strings.size();
      for (const pprof::ValueType& vt : rec.profile.sample_types) {
        if (vt.type >= strings || vt.unit >= strings) return Internal("corrupt profile header");
        meta.sample_types.emplace_back(service.dict.String(vt.type), service.dict.String(vt.unit));
      }
    }
    meta.totals = rec.totals;
    for (const Label& l : rec.instance) meta.labels.Set(l.name, l.value);
    meta.id = key.Id();
    meta.time_nanos = key.time;
    meta.duration_nanos = rec.profile.duration_nanos;
    meta.ingested_nanos = rec.ingested_nanos;
    meta.samples = rec.sample_count;
    meta.raw_bytes = rec.raw_bytes;
    meta.raw_kept = true;
    return meta;
  }

  template <typename Visit>
  Status VisitLabels(const ProfileQuery& q, Visit&& visit) {
    ProfileQuery bounded = q;
    bounded.limit = 10000;  // instance attributes come from a bounded scan
    KPROF_ASSIGN_OR_RETURN(std::vector<ProfileMeta> metas, List(bounded));
    std::set<std::pair<std::string, std::string>> seen;
    for (const ProfileMeta& m : metas) {
      for (const Label& l : m.labels) {
        if (seen.insert({l.name, l.value}).second) visit(l);
      }
    }
    std::shared_lock lock(mu_);
    SplitSelector split = Split(q.selector);
    for (uint32_t s : MatchingSeries(q, split)) {
      for (const Label& l : series_[s]->labels) {
        if (seen.insert({l.name, l.value}).second) visit(l);
      }
    }
    return Status::Ok();
  }

  Status Load() {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
    for (it->Seek("svc"); it->Valid() && it->key().starts_with("svc"); it->Next()) {
      std::string_view k = it->key().ToStringView();
      if (k.size() != 7) return Internal("corrupt service key");
      uint32_t id = keys::GetU32(k, 3);
      if (id != services_.size()) return Internal("service ids are not dense");
      Service* s = GetOrCreateService(it->value().ToString());
      s->registered = true;
    }
    for (it->Seek("ser"); it->Valid() && it->key().starts_with("ser"); it->Next()) {
      std::string_view k = it->key().ToStringView();
      std::string_view v = it->value().ToStringView();
      if (k.size() != 7 || v.size() < 8) return Internal("corrupt series record");
      uint32_t id = keys::GetU32(k, 3);
      uint32_t service = keys::GetU32(v, 0);
      uint32_t type_size = keys::GetU32(v, 4);
      if (id != series_.size() || service >= services_.size() || 8 + type_size > v.size()) {
        return Internal("corrupt series record");
      }
      auto labels = Labels::Decode(v.substr(8 + type_size));
      if (!labels.ok()) return Internal("corrupt series labels");
      Series* s = GetOrCreateSeries(service, std::string(v.substr(8, type_size)), *labels);
      s->registered = true;
    }
    for (it->Seek("wm"); it->Valid() && it->key().starts_with("wm"); it->Next()) {
      std::string_view k = it->key().ToStringView();
      std::string_view v = it->value().ToStringView();
      if (k.size() != 6 || v.size() != 8) return Internal("corrupt rollup watermark");
      uint32_t series = keys::GetU32(k, 2);
      if (series >= series_.size()) return Internal("watermark of an unknown series");
      series_[series]->watermark = keys::TimeFromBits(keys::GetU64(v, 0));
    }
    std::unique_ptr<rocksdb::Iterator> d(db_->NewIterator(ro, dict_));
    for (d->SeekToFirst(); d->Valid(); d->Next()) {
      std::string_view k = d->key().ToStringView();
      if (k.size() != 9) return Internal("corrupt dictionary key");
      uint32_t service = keys::GetU32(k, 0);
      if (service >= services_.size()) return Internal("dictionary of an unknown service");
      auto kind = static_cast<RecordKind>(static_cast<uint8_t>(k[4]));
      KPROF_RETURN_IF_ERROR(
          services_[service]->dict.Load(kind, keys::GetU32(k, 5), d->value().ToStringView()));
    }
    for (auto& s : services_) s->persisted = s->dict.watermark();
    return Status::Ok();
  }

  EmbeddedOptions options_;
  std::unordered_set<std::string> instance_names_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* dict_ = nullptr;
  rocksdb::ColumnFamilyHandle* profiles_ = nullptr;
  rocksdb::ColumnFamilyHandle* raw_ = nullptr;
  rocksdb::ColumnFamilyHandle* rollups_ = nullptr;
  std::unique_ptr<GroupCommitWriter> writer_;

  // Guards the registry and the dictionaries: ingest takes it exclusively while it
  // normalizes; queries share it.
  std::shared_mutex mu_;
  std::vector<std::unique_ptr<Service>> services_;
  std::unordered_map<std::string, uint32_t> service_index_;
  std::vector<std::unique_ptr<Series>> series_;
  std::unordered_map<std::string, uint32_t> series_index_;
  uint32_t next_seq_ = 0;
};

}  // namespace

Result<std::unique_ptr<ProfileStore>> OpenEmbeddedStore(const EmbeddedOptions& options) {
  if (options.data_dir.empty()) return InvalidArgument("the embedded store needs --data-dir");
  auto store = std::make_unique<RocksStore>(options);
  KPROF_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<ProfileStore>(std::move(store));
}

}  // namespace kprof::store

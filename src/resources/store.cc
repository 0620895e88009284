// Layout of the RocksDB resource store (default column family):
//
//   key    namespace \0 pod \0 container \0 time(8, big-endian, sign bit flipped)
//   value  version(1) = 1, fields(1): bit 0 cpu_cores, 1 memory_working_set_bytes,
//          2 memory_rss_bytes, 3 rx_bytes_per_second, 4 tx_bytes_per_second; then each
//          present field as the 8 bytes of its IEEE double (big-endian); then node,
//          deployment and replicaset, each as length(2, big-endian) and bytes.
//
// "namespace \0 pod \0 container \0" is a series; the key that follows all of a series'
// rows is the same prefix with its last byte raised to \1, which is how a query skips
// from one series to the next.
#include "resources/store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace kprof::resources {
namespace {

constexpr uint8_t kValueVersion = 1;
constexpr size_t kTimeBytes = 8;
constexpr size_t kMaxLabelBytes = 0xffff;
constexpr uint32_t kRetentionBatch = 10000;  // deletions per write

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return Unavailable("resource store: " + std::string(what) + ": " + s.ToString());
}

uint64_t TimeBits(int64_t t) { return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63); }
int64_t TimeFromBits(uint64_t b) { return static_cast<int64_t>(b ^ (uint64_t{1} << 63)); }

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
uint64_t GetU64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

std::string SeriesPrefix(std::string_view ns, std::string_view pod, std::string_view container) {
  std::string k;
  k.reserve(ns.size() + pod.size() + container.size() + 3 + kTimeBytes);
  k.append(ns).push_back('\0');
  k.append(pod).push_back('\0');
  k.append(container).push_back('\0');
  return k;
}

std::string WithTime(std::string prefix, int64_t t) {
  PutU64(&prefix, TimeBits(t));
  return prefix;
}

// The first key after every key that starts with `prefix` (which ends in \0).
std::string AfterPrefix(std::string prefix) {
  prefix.back() = '\1';
  return prefix;
}

struct DecodedKey {
  std::string_view series;  // namespace \0 pod \0 container \0
  std::string_view ns, pod, container;
  int64_t time = 0;
};

bool DecodeKey(std::string_view key, DecodedKey* out) {
  if (key.size() < 3 + kTimeBytes) return false;
  std::string_view series = key.substr(0, key.size() - kTimeBytes);
  size_t a = series.find('\0');
  if (a == std::string_view::npos) return false;
  size_t b = series.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  size_t c = series.find('\0', b + 1);
  if (c != series.size() - 1) return false;
  out->series = series;
  out->ns = series.substr(0, a);
  out->pod = series.substr(a + 1, b - a - 1);
  out->container = series.substr(b + 1, c - b - 1);
  out->time = TimeFromBits(GetU64(key, series.size()));
  return true;
}

// The measured fields in the order of the value's field bits.
constexpr size_t kFields = 5;
std::array<double, kFields> FieldValues(const Sample& s) {
  return {s.cpu_cores, s.memory_working_set_bytes, s.memory_rss_bytes, s.rx_bytes_per_second,
          s.tx_bytes_per_second};
}
std::array<double*, kFields> FieldTargets(Sample& s) {
  return {&s.cpu_cores, &s.memory_working_set_bytes, &s.memory_rss_bytes, &s.rx_bytes_per_second,
          &s.tx_bytes_per_second};
}

void PutLabel(std::string* out, const std::string& s) {
  out->push_back(static_cast<char>(s.size() >> 8));
  out->push_back(static_cast<char>(s.size()));
  out->append(s);
}

std::string EncodeValue(const Sample& s) {
  std::string v;
  v.push_back(static_cast<char>(kValueVersion));
  v.push_back(0);
  uint8_t fields = 0;
  std::array<double, kFields> values = FieldValues(s);
  for (size_t bit = 0; bit < kFields; ++bit) {
    if (!(values[bit] >= 0)) continue;  // -1 (not measured), and never a NaN
    fields |= uint8_t{1} << bit;
    PutU64(&v, std::bit_cast<uint64_t>(values[bit]));
  }
  v[1] = static_cast<char>(fields);
  PutLabel(&v, s.node);
  PutLabel(&v, s.deployment);
  PutLabel(&v, s.replicaset);
  return v;
}

// Fills the value fields of `s`; false for anything but a whole, valid version-1 value.
bool DecodeValue(std::string_view v, Sample* s) {
  if (v.size() < 2 || static_cast<uint8_t>(v[0]) != kValueVersion) return false;
  uint8_t fields = static_cast<uint8_t>(v[1]);
  if (fields >> kFields != 0) return false;
  size_t at = 2;
  std::array<double*, kFields> targets = FieldTargets(*s);
  for (size_t bit = 0; bit < kFields; ++bit) {
    if ((fields & (1u << bit)) == 0) continue;
    if (v.size() - at < 8) return false;
    double d = std::bit_cast<double>(GetU64(v, at));
    if (!(d >= 0)) return false;
    *targets[bit] = d;
    at += 8;
  }
  for (std::string* label : {&s->node, &s->deployment, &s->replicaset}) {
    if (v.size() - at < 2) return false;
    size_t n =
        static_cast<size_t>(static_cast<uint8_t>(v[at])) << 8 | static_cast<uint8_t>(v[at + 1]);
    at += 2;
    if (v.size() - at < n) return false;
    label->assign(v.substr(at, n));
    at += n;
  }
  return at == v.size();
}

Status CheckName(const std::string& s, std::string_view what) {
  if (s.find('\0') != std::string::npos) {
    return InvalidArgument("resource sample: " + std::string(what) + " contains a NUL byte");
  }
  if (s.size() > kMaxLabelBytes) {
    return InvalidArgument("resource sample: " + std::string(what) + " longer than 65535 bytes");
  }
  return Status::Ok();
}

class RocksResourceStore : public ResourceStore {
 public:
  explicit RocksResourceStore(std::string dir) : dir_(std::move(dir)) {}

  Status Open() {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_background_jobs = 2;
    options.compression = rocksdb::kZSTD;
    options.bottommost_compression = rocksdb::kZSTD;
    options.write_buffer_size = 16 << 20;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir_, &db);
    if (!s.ok()) {
      return Unavailable("cannot open the resource store in " + dir_ + ": " + s.ToString() +
                         " (is another kprof server using it?)");
    }
    db_.reset(db);
    return Status::Ok();
  }

  Status Append(const std::vector<Sample>& samples) override {
    rocksdb::WriteBatch batch;
    for (const Sample& s : samples) {
      KPROF_RETURN_IF_ERROR(CheckName(s.namespace_, "namespace"));
      KPROF_RETURN_IF_ERROR(CheckName(s.pod, "pod"));
      KPROF_RETURN_IF_ERROR(CheckName(s.container, "container"));
      KPROF_RETURN_IF_ERROR(CheckName(s.node, "node"));
      KPROF_RETURN_IF_ERROR(CheckName(s.deployment, "deployment"));
      KPROF_RETURN_IF_ERROR(CheckName(s.replicaset, "replicaset"));
      std::string key = WithTime(SeriesPrefix(s.namespace_, s.pod, s.container), s.time_nanos);
      KPROF_RETURN_IF_ERROR(FromRocks(batch.Put(key, EncodeValue(s)), "append"));
    }
    if (batch.Count() == 0) return Status::Ok();
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "append");
  }

  Result<std::vector<Sample>> Query(const ResourceQuery& q) override {
    std::vector<Sample> out;
    if (q.limit == 0 || q.from_nanos >= q.to_nanos) return out;
    // The longest key prefix the filters pin down.
    std::string prefix;
    if (!q.namespace_.empty()) {
      prefix = q.namespace_ + '\0';
      if (!q.pod.empty()) {
        prefix += q.pod + '\0';
        if (!q.container.empty()) prefix += q.container + '\0';
      }
    }
    const std::set<std::string> replicasets(q.replicasets.begin(), q.replicasets.end());
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->Seek(prefix);
    while (it->Valid()) {
      rocksdb::Slice raw_key = it->key();
      std::string_view key(raw_key.data(), raw_key.size());
      if (!key.starts_with(prefix)) break;
      DecodedKey k;
      if (!DecodeKey(key, &k)) {
        corrupt_.fetch_add(1, std::memory_order_relaxed);
        it->Next();
        continue;
      }
      if ((!q.namespace_.empty() && k.ns != q.namespace_) || (!q.pod.empty() && k.pod != q.pod) ||
          (!q.container.empty() && k.container != q.container) || k.time >= q.to_nanos) {
        it->Seek(AfterPrefix(std::string(k.series)));
        continue;
      }
      if (k.time < q.from_nanos) {
        it->Seek(WithTime(std::string(k.series), q.from_nanos));
        continue;
      }
      Sample s;
      s.time_nanos = k.time;
      rocksdb::Slice raw_value = it->value();
      if (!DecodeValue(std::string_view(raw_value.data(), raw_value.size()), &s)) {
        corrupt_.fetch_add(1, std::memory_order_relaxed);
        it->Next();
        continue;
      }
      if ((q.deployment.empty() || s.deployment == q.deployment) &&
          (replicasets.empty() || replicasets.count(s.replicaset) != 0)) {
        s.namespace_.assign(k.ns);
        s.pod.assign(k.pod);
        s.container.assign(k.container);
        out.push_back(std::move(s));
        if (out.size() >= q.limit) break;
      }
      it->Next();
    }
    KPROF_RETURN_IF_ERROR(FromRocks(it->status(), "query"));
    return out;
  }

  Status ApplyRetention(int64_t older_than_nanos) override {
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    while (it->Valid()) {
      rocksdb::Slice raw_key = it->key();
      std::string_view key(raw_key.data(), raw_key.size());
      DecodedKey k;
      if (!DecodeKey(key, &k)) {
        // Not a row of this layout: nothing reads it, so it goes too.
        KPROF_RETURN_IF_ERROR(FromRocks(batch.Delete(raw_key), "retention"));
        it->Next();
        continue;
      }
      std::string series(k.series);
      if (k.time < older_than_nanos) {
        KPROF_RETURN_IF_ERROR(
            FromRocks(batch.DeleteRange(series, WithTime(series, older_than_nanos)), "retention"));
      }
      if (batch.Count() >= kRetentionBatch) {
        KPROF_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "retention"));
        batch.Clear();
      }
      it->Seek(AfterPrefix(std::move(series)));
    }
    KPROF_RETURN_IF_ERROR(FromRocks(it->status(), "retention"));
    if (batch.Count() == 0) return Status::Ok();
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "retention");
  }

  uint64_t corrupt_values() const override { return corrupt_.load(std::memory_order_relaxed); }

 private:
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<uint64_t> corrupt_{0};
};

}  // namespace

Result<std::unique_ptr<ResourceStore>> OpenResourceStore(const std::string& dir) {
  auto store = std::make_unique<RocksResourceStore>(dir);
  KPROF_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<ResourceStore>(std::move(store));
}

Usage Summarize(const std::vector<Sample>& samples) {
  struct PodTotals {
    std::map<int64_t, double> cpu;     // time → sum over containers
    std::map<int64_t, double> memory;  // time → sum over containers
    double rx_sum = 0, tx_sum = 0;
    size_t rx_n = 0, tx_n = 0;
  };
  std::map<std::pair<std::string_view, std::string_view>, PodTotals> pods;
  for (const Sample& s : samples) {
    PodTotals& p = pods[{s.namespace_, s.pod}];
    if (s.cpu_cores >= 0) p.cpu[s.time_nanos] += s.cpu_cores;
    if (s.memory_working_set_bytes >= 0) p.memory[s.time_nanos] += s.memory_working_set_bytes;
    if (s.rx_bytes_per_second >= 0) {
      p.rx_sum += s.rx_bytes_per_second;
      ++p.rx_n;
    }
    if (s.tx_bytes_per_second >= 0) {
      p.tx_sum += s.tx_bytes_per_second;
      ++p.tx_n;
    }
  }
  // Mean over pods of each pod's mean; the maximum of any pod at any time.
  struct Acc {
    double sum = 0, max = -1;
    size_t n = 0;
    void AddPod(double mean, double pod_max) {
      sum += mean;
      ++n;
      max = std::max(max, pod_max);
    }
    double mean() const { return n == 0 ? -1 : sum / static_cast<double>(n); }
  };
  Acc cpu, memory, rx, tx;
  auto add_series = [](const std::map<int64_t, double>& series, Acc* acc) {
    if (series.empty()) return;
    double sum = 0, max = 0;
    for (const auto& [time, v] : series) {
      sum += v;
      max = std::max(max, v);
    }
    acc->AddPod(sum / static_cast<double>(series.size()), max);
  };
  for (const auto& [key, p] : pods) {
    add_series(p.cpu, &cpu);
    add_series(p.memory, &memory);
    if (p.rx_n > 0) rx.AddPod(p.rx_sum / static_cast<double>(p.rx_n), 0);
    if (p.tx_n > 0) tx.AddPod(p.tx_sum / static_cast<double>(p.tx_n), 0);
  }
  Usage u;
  u.cpu_cores_mean = cpu.mean();
  u.cpu_cores_max = cpu.max;
  u.memory_mean = memory.mean();
  u.memory_max = memory.max;
  u.rx_mean = rx.mean();
  u.tx_mean = tx.mean();
  u.pods = pods.size();
  u.samples = samples.size();
  return u;
}

}  // namespace kprof::resources

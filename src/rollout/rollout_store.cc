#include "rollout/rollout_store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "rollout/rollout_json.h"

namespace kprof::rollout {

namespace {

constexpr std::string_view kPrefix = "rollout/";

bool Matches(const Rollout& r, const RolloutFilter& f) {
  if (!f.namespace_.empty() && r.namespace_ != f.namespace_) return false;
  if (!f.deployment.empty() && r.deployment != f.deployment) return false;
  std::int64_t end = r.end != 0 ? r.end : INT64_MAX;
  return end >= f.from && r.start < f.to;
}

class RocksRolloutStore : public RolloutStore {
 public:
  explicit RocksRolloutStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  Status Put(const Rollout& rollout) override {
    if (rollout.id.empty()) return InvalidArgument("rollout without an id");
    std::string value = RolloutToJson(rollout, /*detail=*/true).dump();
    rocksdb::WriteOptions options;
    rocksdb::Status s = db_->Put(options, std::string(kPrefix) + rollout.id, value);
    if (!s.ok()) return Internal("rollout store: " + s.ToString());
    return Status::Ok();
  }

  Result<Rollout> Get(const std::string& id) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kPrefix) + id, &value);
    if (s.IsNotFound()) return NotFound("no rollout \"" + id + "\"");
    if (!s.ok()) return Internal("rollout store: " + s.ToString());
    auto r = RolloutFromJson(value);
    if (!r.ok()) {
      corrupt_.fetch_add(1, std::memory_order_relaxed);
      return Internal("rollout \"" + id + "\" is unreadable: " + r.status().message());
    }
    return r;
  }

  Result<std::vector<Rollout>> List(const RolloutFilter& filter, std::size_t limit) override {
    std::vector<Rollout> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    // Ids start with "NAMESPACE:DEPLOYMENT:", so a filter narrows the scan.
    std::string start(kPrefix);
    if (!filter.namespace_.empty()) {
      start += filter.namespace_ + ":";
      if (!filter.deployment.empty()) start += filter.deployment + ":";
    }
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      auto r = RolloutFromJson(it->value().ToStringView());
      if (!r.ok()) {
        corrupt_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (Matches(*r, filter)) out.push_back(std::move(r).value());
    }
    if (!it->status().ok()) return Internal("rollout store: " + it->status().ToString());
    std::sort(out.begin(), out.end(),
              [](const Rollout& a, const Rollout& b) { return a.start > b.start; });
    if (limit != 0 && out.size() > limit) out.resize(limit);
    return out;
  }

  std::uint64_t corrupt_records() const override { return corrupt_.load(); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<std::uint64_t> corrupt_{0};
};

}  // namespace

Result<std::unique_ptr<RolloutStore>> OpenRolloutStore(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) {
    return Unavailable("cannot open the rollout store in " + dir + ": " + s.ToString() +
                       " (is another kprof server using this --data-dir?)");
  }
  return std::unique_ptr<RolloutStore>(
      std::make_unique<RocksRolloutStore>(std::unique_ptr<rocksdb::DB>(db)));
}

}  // namespace kprof::rollout

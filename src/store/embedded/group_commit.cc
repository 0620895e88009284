#include "store/embedded/group_commit.h"

#include <vector>

namespace kprof::store {

GroupCommitWriter::GroupCommitWriter(rocksdb::DB* db, bool sync)
    : db_(db), sync_(sync), thread_([this] { Run(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status GroupCommitWriter::Commit(rocksdb::WriteBatch batch) {
  std::future<Status> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("store is closing");
    queue_.push_back(Pending{std::move(batch), {}});
    done = queue_.back().done.get_future();
  }
  cv_.notify_one();
  return done.get();
}

void GroupCommitWriter::Run() {
  std::vector<Pending> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      group.clear();
      while (!queue_.empty()) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<Status> results(group.size());
    rocksdb::WriteOptions options;
    options.sync = false;
    bool any_written = false;
    for (size_t i = 0; i < group.size(); ++i) {
      rocksdb::Status s = db_->Write(options, &group[i].batch);
      if (!s.ok()) {
        results[i] = Unavailable("store write failed: " + s.ToString());
      } else {
        any_written = true;
      }
    }
    if (any_written && sync_) {
      rocksdb::Status s = db_->SyncWAL();
      if (!s.ok()) {
        for (Status& r : results) {
          if (r.ok()) r = Unavailable("store sync failed: " + s.ToString());
        }
      }
    }
    for (size_t i = 0; i < group.size(); ++i) group[i].done.set_value(results[i]);
  }
}

}  // namespace kprof::store

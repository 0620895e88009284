// GroupCommitWriter: makes RocksDB writes durable in groups.
//
// Callers hand over a WriteBatch and block until it is on disk. One writer thread
// takes every batch waiting, writes each without sync, then syncs the WAL once for
// the whole group: with many concurrent uploads, one fsync acknowledges many.
//
// Thread-safety: Commit() may be called from any thread; the destructor drains.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace kprof::store {

class GroupCommitWriter {
 public:
  // `db` must outlive the writer. `sync` false skips the fsync (tests, benchmarks
  // that measure the cost of durability).
  GroupCommitWriter(rocksdb::DB* db, bool sync);
  ~GroupCommitWriter();

  Status Commit(rocksdb::WriteBatch batch);

 private:
  struct Pending {
    rocksdb::WriteBatch batch;
    std::promise<Status> done;
  };
  void Run();

  rocksdb::DB* db_;
  bool sync_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kprof::store

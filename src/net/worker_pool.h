// WorkerPool: a fixed set of threads that run jobs from a bounded queue. The HTTP server
// runs handlers here so that a slow handler never blocks the threads doing network I/O,
// and a full queue is reported to the caller at once instead of growing without bound.
//
// Thread-safety: TryPost() and queued() may be called from any thread. Shutdown() (also
// run by the destructor) must not be called from a job.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kprof::net {

class WorkerPool {
 public:
  using Job = std::function<void()>;

  // `threads` and `max_queued` are at least 1. `max_queued` counts jobs waiting for a
  // thread, not the ones running.
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`, or returns false (and drops it) when the queue is full or the pool is
  // shut down. A job must not throw.
  bool TryPost(Job job);

  // Refuses new jobs and drops the queued ones, destroying them on the calling thread.
  // Running jobs continue. Idempotent.
  void Close();

  // Close(), then waits for the running jobs to finish and joins the threads. Idempotent,
  // but not to be called from two threads at once.
  void Shutdown();

  size_t queued() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> queue_;  // guarded by mu_
  bool shutdown_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace kprof::net

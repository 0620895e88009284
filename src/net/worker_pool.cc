#include "net/worker_pool.h"

#include <algorithm>

namespace kprof::net {

WorkerPool::WorkerPool(int threads, size_t max_queued)
    : max_queued_(std::max<size_t>(1, max_queued)) {
  threads = std::max(1, threads);
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TryPost(Job job) {
  {
    std::lock_guard lock(mu_);
    if (shutdown_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::Close() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    dropped.swap(queue_);
  }
  ready_.notify_all();
}

void WorkerPool::Shutdown() {
  Close();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkerPool::Run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
      if (shutdown_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace kprof::net

// An informer: list, then watch from the list's resource version, keeping a cache of
// every object and telling handlers about changes. Watches that end are resumed from the
// last resource version seen (bookmarks included), also after a broken stream or a failed
// request (with capped, jittered exponential backoff); 410 Expired or an empty close on a
// stale version lead to a relist, after which handlers see exactly the differences (adds,
// updates, deletes), so no object is lost or reported twice. An object whose name now
// belongs to a new uid is reported as a delete and an add.
//
// Thread-safety: public methods may be called from any thread. Handlers run on the
// informer's own thread, one at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "kube/client.h"

namespace kprof::kube {

template <typename T>
struct InformerHandlers {
  std::function<void(const T&)> on_add;
  std::function<void(const T& before, const T& after)> on_update;
  std::function<void(const T&)> on_delete;
};

struct InformerStats {
  std::uint64_t lists = 0;           // full lists, including the first
  std::uint64_t watches = 0;         // watch requests started
  std::uint64_t events = 0;          // watch events applied
  std::uint64_t expired = 0;         // 410s seen
  std::uint64_t errors = 0;          // failed requests (retried with backoff)
};

template <typename T>
class Informer {
 public:
  Informer(Client& client, Resource resource, ListOptions options, InformerHandlers<T> handlers);
  ~Informer();  // stops
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();
  void Stop();
  // True once the first list has been applied and handlers have seen its objects.
  bool WaitForSync(std::chrono::milliseconds timeout);
  bool synced() const;

  std::vector<T> List() const;
  std::optional<T> Get(const std::string& ns, const std::string& name) const;
  std::size_t size() const;
  InformerStats stats() const;
  std::string last_resource_version() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kprof::kube

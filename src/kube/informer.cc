// Informer<T>: one thread that lists, watches, and keeps the cache.
//
// The cache holds shared_ptr<const T>, so a handler can be given the objects it is told
// about without copying them and without holding the cache's lock (handlers may call
// Get or List). Only the informer's thread changes the cache; other threads read it
// under `mu`.
#include "kube/informer.h"

#include <algorithm>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kprof::kube {
namespace {

constexpr std::chrono::seconds kWatchTimeout{300};
constexpr std::chrono::milliseconds kInitialBackoff{200};
constexpr std::chrono::milliseconds kMaxBackoff{10000};
// A watch that closes this soon without a single event (not even a bookmark) was most
// likely given a version the server no longer has: events watches do this instead of
// answering 410.
constexpr std::chrono::milliseconds kQuickClose{1000};

template <typename T>
std::string KeyOf(const T& object) {
  return object.meta.namespace_ + "/" + object.meta.name;
}

// Whether `after` is another object than `before` under the same name (deleted and
// created again between two looks).
template <typename T>
bool Replaced(const T& before, const T& after) {
  return !before.meta.uid.empty() && !after.meta.uid.empty() && before.meta.uid != after.meta.uid;
}

}  // namespace

template <typename T>
struct Informer<T>::State {
  using Ptr = std::shared_ptr<const T>;
  using Cache = std::unordered_map<std::string, Ptr>;

  State(Client& c, Resource r, ListOptions o, InformerHandlers<T> h)
      : client(c), resource(r), options(std::move(o)), handlers(std::move(h)) {}

  Client& client;
  const Resource resource;
  const ListOptions options;
  const InformerHandlers<T> handlers;

  std::atomic<bool> stop{false};
  std::thread thread;  // guarded by lifecycle_mu
  std::mutex lifecycle_mu;

  mutable std::mutex mu;
  std::condition_variable cv;  // synced, and stop during backoff sleeps
  Cache cache;                 // written only by the informer thread
  std::string resource_version;
  InformerStats stats;
  bool synced = false;

  std::minstd_rand rng{std::random_device{}()};
  std::chrono::milliseconds backoff{0};

  void Run();
  void ApplyList(ListPage<T>&& page);
  void ApplyEvent(WatchEvent<T>&& event);
  void Count(std::uint64_t InformerStats::*counter) {
    std::lock_guard lock(mu);
    ++(stats.*counter);
  }
  // Sleeps for the next backoff step (exponential, capped, with jitter); false if stopped.
  bool Backoff();
  void ResetBackoff() { backoff = std::chrono::milliseconds(0); }

  void OnAdd(const T& obj) const {
    if (handlers.on_add) handlers.on_add(obj);
  }
  void OnUpdate(const T& before, const T& after) const {
    if (handlers.on_update) handlers.on_update(before, after);
  }
  void OnDelete(const T& obj) const {
    if (handlers.on_delete) handlers.on_delete(obj);
  }
};

template <typename T>
bool Informer<T>::State::Backoff() {
  backoff = backoff.count() == 0 ? kInitialBackoff : std::min(backoff * 2, kMaxBackoff);
  // Between half and all of the step, so that many informers restarting together spread out.
  std::uniform_int_distribution<std::int64_t> jitter(backoff.count() / 2, backoff.count());
  std::chrono::milliseconds delay(jitter(rng));
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, delay, [&] { return stop.load(); });
}

template <typename T>
void Informer<T>::State::Run() {
  bool need_list = true;
  int quick_closes = 0;
  while (!stop.load()) {
    if (need_list) {
      Result<ListPage<T>> page = ListAll<T>(client, resource, options);
      if (stop.load()) break;
      if (!page.ok()) {
        Count(&InformerStats::errors);
        if (!Backoff()) break;
        continue;
      }
      ApplyList(std::move(*page));
      need_list = false;
      ResetBackoff();
    }

    std::string from;
    {
      std::lock_guard lock(mu);
      ++stats.watches;
      from = resource_version;
    }
    bool any_event = false;
    auto started = std::chrono::steady_clock::now();
    Status st = Watch<T>(
        client, resource, options, from,
        [&](WatchEvent<T>&& event) {
          any_event = true;
          ApplyEvent(std::move(event));
          return true;
        },
        &stop, kWatchTimeout);
    if (stop.load()) break;
    if (st.ok()) {
      if (any_event || std::chrono::steady_clock::now() - started >= kQuickClose) {
        quick_closes = 0;
        ResetBackoff();
        continue;  // resume from the last version seen
      }
      need_list = true;
      // Relist at once the first time; a server that keeps closing at once gets backoff.
      if (++quick_closes > 1 && !Backoff()) break;
      continue;
    }
    if (IsExpired(st)) {
      Count(&InformerStats::expired);
      need_list = true;
      ResetBackoff();
      continue;
    }
    // A broken stream or a refused request: resume from the last version after a pause
    // (a version that has expired meanwhile answers 410, and leads to a relist).
    Count(&InformerStats::errors);
    if (!Backoff()) break;
  }
}

template <typename T>
void Informer<T>::State::ApplyList(ListPage<T>&& page) {
  // Handlers hear about the listed objects in the list's order.
  std::vector<std::pair<std::string, Ptr>> listed;
  listed.reserve(page.items.size());
  for (T& item : page.items) {
    std::string key = KeyOf(item);
    listed.emplace_back(std::move(key), std::make_shared<const T>(std::move(item)));
  }
  page.items.clear();
  page.items.shrink_to_fit();
  Cache fresh;
  fresh.reserve(listed.size());
  for (const auto& [key, obj] : listed) fresh.insert_or_assign(key, obj);
  Cache before;
  {
    std::lock_guard lock(mu);
    before.swap(cache);
    cache = std::move(fresh);
    resource_version = std::move(page.resource_version);
    ++stats.lists;
  }
  for (auto& [key, obj] : listed) {
    auto old = before.find(key);
    if (old == before.end()) {
      OnAdd(*obj);
      continue;
    }
    Ptr previous = std::move(old->second);
    before.erase(old);
    if (Replaced(*previous, *obj)) {
      OnDelete(*previous);
      OnAdd(*obj);
    } else if (previous->meta.resource_version != obj->meta.resource_version) {
      OnUpdate(*previous, *obj);
    }
  }
  listed.clear();
  for (const auto& [key, gone] : before) OnDelete(*gone);
  // Synced once handlers have seen the first list, as waiters expect.
  {
    std::lock_guard lock(mu);
    synced = true;
  }
  cv.notify_all();
}

template <typename T>
void Informer<T>::State::ApplyEvent(WatchEvent<T>&& event) {
  if (event.type == WatchEventType::kBookmark) {
    std::lock_guard lock(mu);
    if (!event.object.meta.resource_version.empty()) {
      resource_version = std::move(event.object.meta.resource_version);
    }
    return;
  }
  std::string key = KeyOf(event.object);
  auto obj = std::make_shared<const T>(std::move(event.object));
  Ptr previous;
  {
    std::lock_guard lock(mu);
    ++stats.events;
    if (!obj->meta.resource_version.empty()) resource_version = obj->meta.resource_version;
    auto it = cache.find(key);
    if (event.type == WatchEventType::kDeleted) {
      if (it == cache.end()) return;
      previous = std::move(it->second);
      cache.erase(it);
    } else if (it == cache.end()) {
      cache.emplace(std::move(key), obj);
    } else {
      previous = std::exchange(it->second, obj);
    }
  }
  if (event.type == WatchEventType::kDeleted) {
    // Handlers saw `previous`; the event carries its final state unless the name now
    // belongs to another object.
    OnDelete(Replaced(*previous, *obj) ? *previous : *obj);
  } else if (previous == nullptr) {
    OnAdd(*obj);
  } else if (Replaced(*previous, *obj)) {
    OnDelete(*previous);
    OnAdd(*obj);
  } else if (previous->meta.resource_version != obj->meta.resource_version) {
    OnUpdate(*previous, *obj);
  }
}

template <typename T>
Informer<T>::Informer(Client& client, Resource resource, ListOptions options,
                      InformerHandlers<T> handlers)
    : state_(std::make_unique<State>(client, resource, std::move(options), std::move(handlers))) {}

template <typename T>
Informer<T>::~Informer() {
  Stop();
}

template <typename T>
void Informer<T>::Start() {
  std::lock_guard lock(state_->lifecycle_mu);
  if (state_->thread.joinable() || state_->stop.load()) return;
  state_->thread = std::thread([s = state_.get()] { s->Run(); });
}

template <typename T>
void Informer<T>::Stop() {
  std::lock_guard lock(state_->lifecycle_mu);
  {
    std::lock_guard state_lock(state_->mu);
    state_->stop.store(true);
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

template <typename T>
bool Informer<T>::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] {
    return state_->synced || state_->stop.load();
  }) && state_->synced;
}

template <typename T>
bool Informer<T>::synced() const {
  std::lock_guard lock(state_->mu);
  return state_->synced;
}

template <typename T>
std::vector<T> Informer<T>::List() const {
  // Cached objects are immutable and shared: take the pointers under the lock and copy
  // the objects after it, so watch events are not held up by a large copy.
  std::vector<decltype(state_->cache.begin()->second)> snapshot;
  {
    std::lock_guard lock(state_->mu);
    snapshot.reserve(state_->cache.size());
    for (const auto& [key, obj] : state_->cache) snapshot.push_back(obj);
  }
  std::vector<T> out;
  out.reserve(snapshot.size());
  for (const auto& obj : snapshot) out.push_back(*obj);
  return out;
}

template <typename T>
std::optional<T> Informer<T>::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->cache.find(ns + "/" + name);
  if (it == state_->cache.end()) return std::nullopt;
  return *it->second;
}

template <typename T>
std::size_t Informer<T>::size() const {
  std::lock_guard lock(state_->mu);
  return state_->cache.size();
}

template <typename T>
InformerStats Informer<T>::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

template <typename T>
std::string Informer<T>::last_resource_version() const {
  std::lock_guard lock(state_->mu);
  return state_->resource_version;
}

template class Informer<Pod>;
template class Informer<ReplicaSet>;
template class Informer<Deployment>;
template class Informer<Node>;
template class Informer<Namespace>;
template class Informer<Event>;

}  // namespace kprof::kube

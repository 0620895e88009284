// A bounded on-disk queue of scraped profiles waiting for delivery. Every profile is
// written here first and removed once the server has it, so a server outage (or an agent
// restart) loses nothing within the bound. Past the bound (bytes or files) the oldest
// profiles are dropped and counted.
//
// One file per profile, "<20-digit sequence>.prof": a JSON header line (service, type,
// labels, time) then the gzipped pprof bytes. Files are written to a temporary name and
// renamed, so a crash leaves no half-written entry; temporaries are removed on open.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/labels.h"

namespace kprof::collect {

struct Envelope {
  std::string service;
  std::string type;
  store::Labels labels;
  int64_t time_nanos = 0;
  std::string profile;  // gzipped pprof
};

struct SpoolOptions {
  std::string dir;
  uint64_t max_bytes = uint64_t{256} << 20;
  uint64_t max_files = 100000;
};

struct SpoolStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0;  // oldest entries removed to stay within the bound
  uint64_t corrupt = 0;  // unreadable entries found and removed
};

class Spool {
 public:
  // Creates the directory if needed and picks up entries left by an earlier run.
  static Result<std::unique_ptr<Spool>> Open(SpoolOptions options);

  // Writes the envelope; drops the oldest entries first if it would not fit.
  Status Put(const Envelope& envelope);

  struct Entry {
    uint64_t seq = 0;
    Envelope envelope;
  };
  // The oldest entry not handed out by an earlier Next, waiting up to `wait` for one.
  // Corrupt entries are removed and skipped. Handed-out entries stay on disk until Remove
  // (delivered) or Release (retry later: it becomes the next one handed out again).
  std::optional<Entry> Next(std::chrono::milliseconds wait);
  void Remove(uint64_t seq);
  void Release(uint64_t seq);
  // Wakes threads waiting in Next (for shutdown).
  void Interrupt();

  SpoolStats stats() const;

 private:
  struct Item {
    uint64_t seq;
    uint64_t bytes;
    bool leased;
  };
  explicit Spool(SpoolOptions options) : options_(std::move(options)) {}
  std::string PathOf(uint64_t seq) const;
  void DropOldestLocked();

  SpoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;  // by sequence
  uint64_t next_seq_ = 1;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
  uint64_t corrupt_ = 0;
  bool interrupted_ = false;
};

// The entry file format, exposed for tests and the fuzz target.
std::string EncodeEnvelope(const Envelope& envelope);
Result<Envelope> DecodeEnvelope(std::string_view data);

}  // namespace kprof::collect

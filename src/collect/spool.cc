#include "collect/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kprof::collect {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("spool: cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Unavailable("spool: cannot write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Unavailable("spool: cannot rename " + tmp + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("spool: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string EncodeEnvelope(const Envelope& e) {
  json labels = json::object();
  for (const store::Label& l : e.labels) labels[l.name] = l.value;
  json header = {
      {"service", e.service}, {"type", e.type}, {"labels", labels}, {"time_nanos", e.time_nanos}};
  std::string out = header.dump(-1, ' ', false, json::error_handler_t::replace);
  out += '\n';
  out += e.profile;
  return out;
}

Result<Envelope> DecodeEnvelope(std::string_view data) {
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos || nl > kMaxHeaderBytes) {
    return InvalidArgument("spool entry: no header line");
  }
  json header = json::parse(data.substr(0, nl), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !header["service"].is_string() || !header["type"].is_string() ||
      !header["labels"].is_object() || !header["time_nanos"].is_number_integer()) {
    return InvalidArgument("spool entry: malformed header");
  }
  Envelope e;
  e.service = header["service"].get<std::string>();
  e.type = header["type"].get<std::string>();
  e.time_nanos = header["time_nanos"].get<int64_t>();
  for (auto& [k, v] : header["labels"].items()) {
    if (!v.is_string()) return InvalidArgument("spool entry: label " + k + " is not a string");
    e.labels.Set(k, v.get<std::string>());
  }
  e.profile = std::string(data.substr(nl + 1));
  return e;
}

Result<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options) {
  if (options.dir.empty()) return InvalidArgument("spool: no directory given");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Unavailable("spool: cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<Spool> spool(new Spool(std::move(options)));
  std::vector<Item> found;
  for (const fs::directory_entry& de : fs::directory_iterator(spool->options_.dir, ec)) {
    std::string name = de.path().filename().string();
    if (name.size() > 4 && name.ends_with(".tmp")) {
      fs::remove(de.path(), ec);
      continue;
    }
    if (name.size() != 25 || !name.ends_with(".prof")) continue;
    uint64_t seq = std::strtoull(name.c_str(), nullptr, 10);
    if (seq == 0) continue;
    uint64_t size = de.file_size(ec);
    if (ec) continue;
    found.push_back({seq, size, false});
  }
  if (ec) return Unavailable("spool: cannot list " + spool->options_.dir + ": " + ec.message());
  std::sort(found.begin(), found.end(), [](const Item& a, const Item& b) { return a.seq < b.seq; });
  for (const Item& it : found) {
    spool->items_.push_back(it);
    spool->bytes_ += it.bytes;
    spool->next_seq_ = std::max(spool->next_seq_, it.seq + 1);
  }
  return spool;
}

std::string Spool::PathOf(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.prof", static_cast<unsigned long long>(seq));
  return options_.dir + "/" + name;
}

void Spool::DropOldestLocked() {
  Item oldest = items_.front();
  items_.pop_front();
  bytes_ -= oldest.bytes;
  ++dropped_;
  std::error_code ec;
  fs::remove(PathOf(oldest.seq), ec);
}

Status Spool::Put(const Envelope& envelope) {
  std::string data = EncodeEnvelope(envelope);
  if (data.size() > options_.max_bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    ++dropped_;
    return ResourceExhausted("spool: a " + std::to_string(data.size()) +
                             "-byte profile is larger than the whole spool");
  }
  // The file is written outside the lock (pushers and other writers go on meanwhile);
  // the sequence number taken first keeps the order.
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = next_seq_++;
  }
  KPROF_RETURN_IF_ERROR(WriteFileAtomic(PathOf(seq), data));
  std::lock_guard<std::mutex> lock(mu_);
  while (!items_.empty() &&
         (bytes_ + data.size() > options_.max_bytes || items_.size() + 1 > options_.max_files)) {
    DropOldestLocked();
  }
  auto at = std::upper_bound(items_.begin(), items_.end(), seq,
                             [](uint64_t s, const Item& i) { return s < i.seq; });
  items_.insert(at, Item{seq, data.size(), false});
  bytes_ += data.size();
  cv_.notify_one();
  return Status::Ok();
}

std::optional<Spool::Entry> Spool::Next(std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    uint64_t seq;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto free = [&] {
        return std::find_if(items_.begin(), items_.end(), [](const Item& i) { return !i.leased; });
      };
      if (!cv_.wait_until(lock, deadline, [&] { return interrupted_ || free() != items_.end(); })) {
        return std::nullopt;
      }
      if (interrupted_) return std::nullopt;
      auto it = free();
      it->leased = true;
      seq = it->seq;
    }
    // Read outside the lock; the entry is leased, so nobody else hands it out.
    auto data = ReadFile(PathOf(seq));
    Result<Envelope> envelope = data.ok() ? DecodeEnvelope(*data) : Result<Envelope>(data.status());
    if (envelope.ok()) return Entry{seq, std::move(envelope).value()};
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::lower_bound(items_.begin(), items_.end(), seq,
                               [](const Item& i, uint64_t s) { return i.seq < s; });
    if (it != items_.end() && it->seq == seq) {
      std::error_code ec;
      fs::remove(PathOf(seq), ec);
      bytes_ -= it->bytes;
      items_.erase(it);
      ++corrupt_;
    }
  }
}

void Spool::Remove(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::lower_bound(items_.begin(), items_.end(), seq,
                             [](const Item& i, uint64_t s) { return i.seq < s; });
  if (it == items_.end() || it->seq != seq) return;  // dropped meanwhile
  std::error_code ec;
  fs::remove(PathOf(seq), ec);
  bytes_ -= it->bytes;
  items_.erase(it);
}

void Spool::Release(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::lower_bound(items_.begin(), items_.end(), seq,
                             [](const Item& i, uint64_t s) { return i.seq < s; });
  if (it == items_.end() || it->seq != seq) return;
  it->leased = false;
  cv_.notify_one();
}

void Spool::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

SpoolStats Spool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return SpoolStats{items_.size(), bytes_, dropped_, corrupt_};
}

}  // namespace kprof::collect

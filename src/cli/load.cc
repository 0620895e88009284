#include "cli/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "pprof/merge.h"

namespace kprof::cli {

namespace {

// The largest profile file kprof reads (compressed or not).
constexpr size_t kMaxFileBytes = 512u << 20;

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr && f != stdin) std::fclose(f);
  }
};

}  // namespace

Status ReadFile(const std::string& path, size_t max_bytes, std::string* out) {
  out->clear();
  if (path != "-") {
    // Regular files: one open, fstat, read and close, into the caller's buffer.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NotFound(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      if (static_cast<size_t>(st.st_size) > max_bytes) {
        ::close(fd);
        return ResourceExhausted(path + ": file is larger than " + std::to_string(max_bytes) +
                                 " bytes");
      }
      out->resize(static_cast<size_t>(st.st_size));
      size_t done = 0;
      while (done < out->size()) {
        ssize_t n = ::read(fd, out->data() + done, out->size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(fd);
      if (done != out->size()) return Unavailable(path + ": short read (file changed?)");
      return Status::Ok();
    }
    ::close(fd);
  }
  std::unique_ptr<FILE, FileCloser> f(path == "-" ? stdin : std::fopen(path.c_str(), "rb"));
  if (!f) {
    return NotFound(path + ": " + std::strerror(errno));
  }
  char buf[1 << 16];
  while (true) {
    size_t n = std::fread(buf, 1, sizeof(buf), f.get());
    if (n > 0) {
      if (out->size() + n > max_bytes) {
        return ResourceExhausted(path + ": file is larger than " + std::to_string(max_bytes) +
                                 " bytes");
      }
      out->append(buf, n);
    }
    if (n < sizeof(buf)) break;
  }
  if (std::ferror(f.get())) return Unavailable(path + ": read error");
  return Status::Ok();
}

Result<pprof::Profile> LoadProfile(const std::string& path) {
  std::string bytes;
  KPROF_RETURN_IF_ERROR(ReadFile(path, kMaxFileBytes, &bytes));
  pprof::Decoder decoder;
  pprof::Profile profile;
  Status s = decoder.Decode(bytes, &profile);
  if (!s.ok()) return s.WithContext(path);
  return profile;
}

void KeepSampleTypes(pprof::Profile* p, const std::vector<std::string>& types) {
  std::vector<size_t> indices;
  for (const std::string& t : types) {
    for (size_t i = 0; i < p->sample_types.size(); ++i) {
      if (p->str(p->sample_types[i].type) == t) {
        indices.push_back(i);
        break;
      }
    }
  }
  const size_t n = p->sample_types.size();
  std::vector<int64_t> values;
  values.reserve(p->samples.size() * indices.size());
  for (size_t s = 0; s < p->samples.size(); ++s) {
    for (size_t i : indices) values.push_back(p->values[s * n + i]);
  }
  std::vector<pprof::ValueType> sample_types;
  for (size_t i : indices) sample_types.push_back(p->sample_types[i]);
  p->sample_types = std::move(sample_types);
  p->values = std::move(values);
}

Result<pprof::Profile> LoadMerged(const std::vector<std::string>& paths) {
  if (paths.empty()) return InvalidArgument("no profile files given");
  pprof::ParallelMergeInput input;
  input.count = paths.size();
  input.load = [&paths](size_t i, std::string* bytes) {
    return ReadFile(paths[i], kMaxFileBytes, bytes);
  };
  input.name = [&paths](size_t i) { return paths[i]; };
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto merged = pprof::MergeInParallel(input, threads);
  if (merged.ok() || merged.status().code() != StatusCode::kFailedPrecondition) return merged;

  // Different sample types (a heap and an allocs profile, say): merge the types all
  // inputs share, in the first profile's order.
  std::vector<pprof::Profile> profiles;
  for (const std::string& path : paths) {
    KPROF_ASSIGN_OR_RETURN(pprof::Profile p, LoadProfile(path));
    profiles.push_back(std::move(p));
  }
  std::vector<std::string> common;
  for (const pprof::ValueType& vt : profiles[0].sample_types) {
    std::string type(profiles[0].str(vt.type));
    bool everywhere = std::all_of(profiles.begin(), profiles.end(), [&](const pprof::Profile& p) {
      return std::any_of(p.sample_types.begin(), p.sample_types.end(),
                         [&](const pprof::ValueType& o) { return p.str(o.type) == type; });
    });
    if (everywhere) common.push_back(type);
  }
  if (common.empty()) return merged.status();
  for (pprof::Profile& p : profiles) KeepSampleTypes(&p, common);
  return pprof::MergeProfiles(profiles);
}

}  // namespace kprof::cli

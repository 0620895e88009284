#include "store/store.h"

#include "pprof/encode.h"

namespace kprof::store {

const std::vector<std::string>& DefaultInstanceLabelNames() {
  static const std::vector<std::string> names = {
      "pod",          "instance", "pod_name", "pod-template-hash", "pod_template_hash",
      "container_id", "ip"};
  return names;
}

Result<std::string> StoredProfileBytes(ProfileStore* store, const ProfileId& id) {
  auto raw = store->GetRaw(id);
  if (raw.ok() || raw.status().code() != StatusCode::kNotFound) return raw;
  KPROF_ASSIGN_OR_RETURN(pprof::Profile profile, store->Get(id));
  return pprof::EncodeProfileGzip(profile);
}

}  // namespace kprof::store

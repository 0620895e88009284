// kprof info: what is inside a profile file, without reading its samples by eye.
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/load.h"
#include "pprof/units.h"

namespace kprof::cli {

namespace {

std::string Rfc3339(int64_t nanos) {
  if (nanos == 0) return "";
  time_t seconds = static_cast<time_t>(nanos / 1000000000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

nlohmann::json Describe(const std::string& path, const pprof::Profile& p) {
  nlohmann::json types = nlohmann::json::array();
  const size_t n = p.num_values();
  for (size_t k = 0; k < n; ++k) {
    int64_t total = 0;
    for (size_t i = 0; i < p.samples.size(); ++i) total += p.values[i * n + k];
    types.push_back({{"type", p.str(p.sample_types[k].type)},
                     {"unit", p.str(p.sample_types[k].unit)},
                     {"total", total}});
  }
  std::map<std::string, std::set<std::string>> labels;
  for (const pprof::Label& l : p.labels) {
    auto& values = labels[std::string(p.str(l.key))];
    if (values.size() < 10) {
      values.insert(l.str != 0 ? std::string(p.str(l.str)) : std::to_string(l.num));
    }
  }
  nlohmann::json mappings = nlohmann::json::array();
  for (const pprof::Mapping& m : p.mappings) {
    mappings.push_back({{"file", p.str(m.filename)}, {"build_id", p.str(m.build_id)}});
  }
  std::string default_type(p.str(p.default_sample_type));
  return {{"file", path},
          {"sample_types", types},
          {"default_sample_type", default_type},
          {"period_type",
           std::string(p.str(p.period_type.type)) + "/" + std::string(p.str(p.period_type.unit))},
          {"period", p.period},
          {"time", Rfc3339(p.time_nanos)},
          {"duration_seconds", static_cast<double>(p.duration_nanos) / 1e9},
          {"samples", p.samples.size()},
          {"locations", p.locations.size()},
          {"functions", p.functions.size()},
          {"mappings", mappings},
          {"strings", p.strings.size()},
          {"label_values", labels},
          {"comments", [&] {
             std::vector<std::string> c;
             for (uint32_t i : p.comments) c.emplace_back(p.str(i));
             return c;
           }()}};
}

struct InfoCommand {
  std::vector<std::string> files;
  bool json = false;

  int Run() {
    nlohmann::json all = nlohmann::json::array();
    std::string text;
    for (const std::string& path : files) {
      auto profile = LoadProfile(path);
      if (!profile.ok()) return Fail(profile.status());
      nlohmann::json d = Describe(path, *profile);
      all.push_back(d);
      text += path + "\n";
      for (const auto& t : d["sample_types"]) {
        std::string unit = t["unit"];
        text += "  sample type  " + t["type"].get<std::string>() + "/" + unit + "  total " +
                pprof::ScaledLabel(t["total"].get<int64_t>(), unit, "auto") + "\n";
      }
      if (!d["default_sample_type"].get<std::string>().empty()) {
        text += "  default      " + d["default_sample_type"].get<std::string>() + "\n";
      }
      text += "  period       " + std::to_string(profile->period) + " " +
              d["period_type"].get<std::string>() + "\n";
      if (profile->time_nanos != 0) text += "  time         " + d["time"].get<std::string>() + "\n";
      if (profile->duration_nanos != 0) {
        text += "  duration     " +
                pprof::ScaledLabel(profile->duration_nanos, "nanoseconds", "auto") + "\n";
      }
      text += "  samples      " + std::to_string(profile->samples.size()) + ", locations " +
              std::to_string(profile->locations.size()) + ", functions " +
              std::to_string(profile->functions.size()) + ", mappings " +
              std::to_string(profile->mappings.size()) + "\n";
      if (!profile->mappings.empty()) {
        text += "  main binary  " + std::string(profile->str(profile->mappings[0].filename));
        std::string_view build_id = profile->str(profile->mappings[0].build_id);
        if (!build_id.empty()) text += " (build id " + std::string(build_id) + ")";
        text += "\n";
      }
      for (const auto& [key, values] : d["label_values"].items()) {
        text += "  label        " + key + ":";
        for (const auto& v : values) text += " " + v.get<std::string>();
        text += "\n";
      }
      for (const auto& c : d["comments"]) text += "  comment      " + c.get<std::string>() + "\n";
    }
    std::string out = json ? (files.size() == 1 ? all[0] : all).dump(2) + "\n" : text;
    Status s = WriteOutput("", out, false);
    return s.ok() ? 0 : Fail(s);
  }
};

}  // namespace

void AddInfoCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<InfoCommand>();
  CLI::App* sub = app->add_subcommand(
      "info", "Describe profile files: sample types and totals, time, duration, sizes, labels");
  sub->add_flag("--json", cmd->json, "Print JSON");
  sub->add_option("files", cmd->files, "Profile files")->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli

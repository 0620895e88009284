// kprof diff: which functions grew between two profiles (or two sets of profiles).
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/report_flags.h"
#include "pprof/diff.h"
#include "pprof/encode.h"
#include "pprof/units.h"

namespace kprof::cli {

namespace {

struct DiffCommand {
  ReportFlags flags;
  std::vector<std::string> base_files;
  std::vector<std::string> files;
  std::string normalize = "total";
  std::string output;
  std::string pprof_output;
  size_t limit = 20;
  bool sort_cum = false;

  std::string Format(const pprof::DiffReport& r, double v, bool signed_value) const {
    if (r.normalization == pprof::DiffNormalization::kTotal) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), signed_value ? "%+.2fpp" : "%.2f%%", v * 100);
      return buf;
    }
    std::string s = pprof::ScaledLabel(std::llround(std::fabs(v)), r.sample_unit, "auto");
    if (r.normalization == pprof::DiffNormalization::kPerSecond) s += "/s";
    if (signed_value) s = (v < 0 ? "-" : "+") + s;
    return s;
  }

  int Run() {
    Status s = flags.Resolve();
    if (!s.ok()) return Fail(s);
    if (files.empty())
      return Fail(InvalidArgument("give the comparison profile(s) after the base"));
    auto normalization = pprof::ParseDiffNormalization(normalize);
    if (!normalization.ok()) return Fail(normalization.status());
    auto base = LoadMerged(base_files);
    if (!base.ok()) return Fail(base.status());
    auto comparison = LoadMerged(files);
    if (!comparison.ok()) return Fail(comparison.status());
    pprof::Profile base_raw = *base;
    pprof::Profile comparison_raw = *comparison;
    auto base_prepared = pprof::Prepare(std::move(base).value(), flags.options);
    if (!base_prepared.ok()) return Fail(base_prepared.status().WithContext("base"));
    auto comparison_prepared = pprof::Prepare(std::move(comparison).value(), flags.options);
    if (!comparison_prepared.ok()) return Fail(comparison_prepared.status());
    auto report = pprof::BuildDiff(*base_prepared, *comparison_prepared, *normalization, sort_cum);
    if (!report.ok()) return Fail(report.status());

    if (!pprof_output.empty()) {
      auto diff = pprof::DiffProfile(base_raw, comparison_raw,
                                     pprof::DiffScales(*report, base_raw, comparison_raw));
      if (!diff.ok()) return Fail(diff.status());
      s = WriteOutput(pprof_output, pprof::EncodeProfileGzip(*diff), true);
      if (!s.ok()) return Fail(s);
    }

    std::string text;
    if (flags.json) {
      nlohmann::json rows = nlohmann::json::array();
      for (size_t i = 0; i < report->rows.size() && (limit == 0 || i < limit); ++i) {
        const pprof::DiffRow& r = report->rows[i];
        rows.push_back({{"name", r.name},
                        {"base_flat", r.base_flat},
                        {"flat", r.comparison_flat},
                        {"delta_flat", r.delta_flat()},
                        {"base_cum", r.base_cum},
                        {"cum", r.comparison_cum},
                        {"delta_cum", r.delta_cum()}});
      }
      text = nlohmann::json{{"sample_type", report->sample_type},
                            {"unit", report->sample_unit},
                            {"normalize", normalize},
                            {"base_total", report->base_total},
                            {"total", report->comparison_total},
                            {"base_seconds", report->base_seconds},
                            {"seconds", report->comparison_seconds},
                            {"rows", rows}}
                 .dump(2) +
             "\n";
    } else {
      auto side = [&](const char* label, const std::vector<std::string>& names, int64_t total,
                      double seconds) {
        std::string who = names.size() == 1 ? names[0] : std::to_string(names.size()) + " profiles";
        text += std::string(label) + who + ": " + report->sample_type + " " +
                pprof::ScaledLabel(total, report->sample_unit, "auto") + " total" +
                (seconds > 0 ? " in " + pprof::ScaledLabel(static_cast<int64_t>(seconds * 1e9),
                                                           "nanoseconds", "auto")
                             : std::string()) +
                "\n";
      };
      side("Base:       ", base_files, report->base_total, report->base_seconds);
      side("Comparison: ", files, report->comparison_total, report->comparison_seconds);
      const char* how = *normalization == pprof::DiffNormalization::kTotal
                            ? "shares of each profile's total"
                        : *normalization == pprof::DiffNormalization::kPerSecond
                            ? "per second of profile duration"
                            : "raw values";
      text += std::string("Values: ") + how + " (--normalize=" + normalize + "); sorted by |Δ" +
              (sort_cum ? "cum" : "flat") + "|\n";
      char buf[512];
      std::snprintf(buf, sizeof(buf), "%12s %12s %12s %12s %12s %12s  %s\n", "base flat", "flat",
                    "Δflat", "base cum", "cum", "Δcum", "function");
      text += buf;
      for (size_t i = 0; i < report->rows.size() && (limit == 0 || i < limit); ++i) {
        const pprof::DiffRow& r = report->rows[i];
        std::snprintf(buf, sizeof(buf), "%12s %12s %12s %12s %12s %12s  %s\n",
                      Format(*report, r.base_flat, false).c_str(),
                      Format(*report, r.comparison_flat, false).c_str(),
                      Format(*report, r.delta_flat(), true).c_str(),
                      Format(*report, r.base_cum, false).c_str(),
                      Format(*report, r.comparison_cum, false).c_str(),
                      Format(*report, r.delta_cum(), true).c_str(), r.name.c_str());
        text += buf;
      }
    }
    s = WriteOutput(output, text, false);
    return s.ok() ? 0 : Fail(s);
  }
};

}  // namespace

void AddDiffCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<DiffCommand>();
  CLI::App* sub = app->add_subcommand(
      "diff",
      "Compare profiles: kprof diff BASE COMPARISON..., or --base B1 --base B2 COMPARISON...");
  cmd->flags.Register(sub, false);
  sub->add_option("--base", cmd->base_files,
                  "Base profile(s); without it the first file is the base");
  sub->add_option("--normalize", cmd->normalize,
                  "total (shares of each total, default), per-second, or none")
      ->capture_default_str();
  sub->add_option("-n,--limit", cmd->limit, "Rows to print (0 = all)")->capture_default_str();
  sub->add_flag("--sort-cum,--sort_cum", cmd->sort_cum, "Order by change in cumulative value");
  sub->add_flag("--json", cmd->flags.json, "Print JSON");
  sub->add_option("-o,--output", cmd->output, "Write the table to this file");
  sub->add_option("--pprof", cmd->pprof_output,
                  "Also write COMPARISON − scaled BASE as a pprof file for go tool pprof");
  sub->add_option("files", cmd->files, "BASE then COMPARISON profile files")->required();
  sub->callback([cmd, action] {
    if (cmd->base_files.empty() && !cmd->files.empty()) {
      cmd->base_files.push_back(cmd->files.front());
      cmd->files.erase(cmd->files.begin());
    }
    *action = [cmd] { return cmd->Run(); };
  });
}

}  // namespace kprof::cli

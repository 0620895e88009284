// kprof top: the `go tool pprof -top` table, byte for byte, or JSON for scripts.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/report_flags.h"
#include "pprof/units.h"

namespace kprof::cli {

namespace {

struct TopCommand {
  ReportFlags flags;
  std::vector<std::string> files;
  std::string output;

  int Run() {
    Status s = flags.Resolve();
    if (!s.ok()) return Fail(s);
    auto merged = LoadMerged(files);
    if (!merged.ok()) return Fail(merged.status());
    auto prepared = pprof::Prepare(std::move(merged).value(), flags.options);
    if (!prepared.ok()) return Fail(prepared.status());
    for (const std::string& w : prepared->warnings) std::fprintf(stderr, "%s\n", w.c_str());
    pprof::TopReport report = pprof::BuildTop(*prepared, flags.options);
    std::string text;
    if (flags.json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const pprof::TopRow& row : report.rows) {
        rows.push_back({{"name", row.name},
                        {"flat", row.flat},
                        {"flat_percent", report.total ? 100.0 * row.flat / report.total : 0.0},
                        {"cum", row.cum},
                        {"cum_percent", report.total ? 100.0 * row.cum / report.total : 0.0},
                        {"inline", row.inline_label}});
      }
      nlohmann::json doc = {{"sample_type", report.sample_type},
                            {"unit", report.sample_unit},
                            {"total", report.total},
                            {"labels", report.labels},
                            {"dropped_nodes", report.dropped_nodes},
                            {"rows", rows}};
      text = doc.dump(2) + "\n";
    } else {
      text = pprof::FormatTopText(report, *prepared);
    }
    s = WriteOutput(output, text, false);
    return s.ok() ? 0 : Fail(s);
  }
};

}  // namespace

void AddTopCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<TopCommand>();
  CLI::App* sub = app->add_subcommand(
      "top", "Print the functions with the most samples, as `go tool pprof -top` does");
  cmd->flags.Register(sub);
  sub->add_flag("--json", cmd->flags.json, "Print the table as JSON");
  sub->add_option("-o,--output", cmd->output, "Write to this file instead of stdout");
  sub->add_option("files", cmd->files, "Profile files (.pb.gz or .pb); several are merged")
      ->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli

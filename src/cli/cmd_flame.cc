// kprof flame, kprof tree and kprof convert: call-tree views of profiles.
#include <cmath>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/report_flags.h"
#include "pprof/encode.h"
#include "pprof/flame.h"
#include "pprof/flame_html.h"
#include "pprof/units.h"

namespace kprof::cli {

namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<pprof::PreparedProfile> LoadPrepared(ReportFlags* flags,
                                            const std::vector<std::string>& files) {
  KPROF_RETURN_IF_ERROR(flags->Resolve());
  KPROF_ASSIGN_OR_RETURN(pprof::Profile merged, LoadMerged(files));
  KPROF_ASSIGN_OR_RETURN(pprof::PreparedProfile prepared,
                         pprof::Prepare(std::move(merged), flags->options));
  for (const std::string& w : prepared.warnings) std::fprintf(stderr, "%s\n", w.c_str());
  return prepared;
}

std::string Summary(const pprof::PreparedProfile& prepared, const pprof::FlameTree& tree) {
  return prepared.sample_type + ", " +
         pprof::ScaledLabel(tree.total, prepared.sample_unit, "auto") + " total, " +
         std::to_string(tree.nodes.size()) + " nodes" +
         (tree.other_nodes > 0 ? " (of " + std::to_string(tree.full_node_count) + ")" : "");
}

struct FlameCommand {
  ReportFlags flags;
  std::vector<std::string> files;
  std::string output = "flame.html";
  std::string format;
  size_t max_nodes = 20000;
  bool icicle = false;
  std::string title;

  int Run() {
    if (format.empty()) {
      if (EndsWith(output, ".svg"))
        format = "svg";
      else if (EndsWith(output, ".json"))
        format = "json";
      else if (EndsWith(output, ".folded") || EndsWith(output, ".txt"))
        format = "folded";
      else
        format = "html";
    }
    if (format != "html" && format != "svg" && format != "json" && format != "folded") {
      return Fail(
          InvalidArgument("unknown --format " + format + ": use html, svg, json or folded"));
    }
    auto prepared = LoadPrepared(&flags, files);
    if (!prepared.ok()) return Fail(prepared.status());
    std::string data;
    std::string summary;
    if (format == "folded") {
      data = pprof::FoldedStacks(*prepared);
    } else {
      pprof::FlameTree tree = pprof::BuildFlameTree(*prepared, max_nodes);
      summary = Summary(*prepared, tree);
      if (format == "json") {
        data = pprof::FlameTreeToJson(tree) + "\n";
      } else {
        pprof::FlameRenderOptions options;
        options.title =
            title.empty()
                ? (files.size() == 1 ? files[0] : std::to_string(files.size()) + " profiles")
                : title;
        options.subtitle = summary;
        options.icicle = icicle;
        data = format == "svg" ? pprof::RenderFlameSvg(tree, options)
                               : pprof::RenderFlameHtml(tree, options);
      }
    }
    Status s = WriteOutput(output, data, false);
    if (!s.ok()) return Fail(s);
    if (output != "-" && !output.empty()) {
      std::fprintf(stderr, "kprof: wrote %s%s%s\n", output.c_str(), summary.empty() ? "" : ": ",
                   summary.c_str());
    }
    return 0;
  }
};

struct TreeCommand {
  ReportFlags flags;
  std::vector<std::string> files;
  std::string output;

  void Print(const pprof::PreparedProfile& prepared, const pprof::FlameTree& tree,
             const std::string& unit, int64_t cutoff, uint32_t index, int depth, std::string* out) {
    const pprof::FlameNode& node = tree.nodes[index];
    char buf[128];
    std::snprintf(buf, sizeof(buf), "%10s %s %10s %s  ",
                  pprof::FormatValue(prepared, unit, node.total).c_str(),
                  pprof::Percentage(node.total, prepared.total).c_str(),
                  pprof::FormatValue(prepared, unit, node.self).c_str(),
                  pprof::Percentage(node.self, prepared.total).c_str());
    *out += buf;
    out->append(static_cast<size_t>(depth) * 2, ' ');
    *out += tree.names[node.name];
    *out += '\n';
    int64_t hidden = 0;
    int hidden_count = 0;
    for (uint32_t c : node.children) {
      if (std::llabs(tree.nodes[c].total) >= cutoff && cutoff >= 0) {
        Print(prepared, tree, unit, cutoff, c, depth + 1, out);
      } else {
        hidden += tree.nodes[c].total;
        ++hidden_count;
      }
    }
    if (hidden_count > 0) {
      std::snprintf(buf, sizeof(buf), "%10s %s %10s %s  ",
                    pprof::FormatValue(prepared, unit, hidden).c_str(),
                    pprof::Percentage(hidden, prepared.total).c_str(), "", "      ");
      *out += buf;
      out->append(static_cast<size_t>(depth + 1) * 2, ' ');
      *out += "(" + std::to_string(hidden_count) + " smaller callees)\n";
    }
  }

  int Run() {
    auto prepared = LoadPrepared(&flags, files);
    if (!prepared.ok()) return Fail(prepared.status());
    pprof::FlameTree tree = pprof::BuildFlameTree(*prepared, 0);
    std::string unit = flags.options.unit == "minimum" ? "auto" : flags.options.unit;
    int64_t cutoff = std::llabs(
        static_cast<int64_t>(static_cast<double>(prepared->total) * flags.options.node_fraction));
    std::string text;
    for (const std::string& line : pprof::ProfileLabels(*prepared, unit)) text += line + "\n";
    for (const std::string& line : pprof::ActiveFilterLegend(flags.options.filters)) {
      text += line + "\n";
    }
    if (cutoff > 0) {
      text += "Callees below " + pprof::FormatValue(*prepared, unit, cutoff) +
              " (-nodefraction) are folded into one line\n";
    }
    char buf[128];
    std::snprintf(buf, sizeof(buf), "%10s %6s %10s %6s  %s\n", "total", "total%", "self", "self%",
                  "call tree (callers above callees)");
    text += buf;
    Print(*prepared, tree, unit, cutoff, 0, 0, &text);
    Status s = WriteOutput(output, text, false);
    return s.ok() ? 0 : Fail(s);
  }
};

struct ConvertCommand {
  std::string file;
  std::string to = "proto";
  std::string output;
  std::string sample_index;

  int Run() {
    auto profile = LoadProfile(file);
    if (!profile.ok()) return Fail(profile.status());
    std::string data;
    bool binary = false;
    if (to == "proto" || to == "gzip") {
      data = pprof::EncodeProfileGzip(*profile);
      binary = true;
    } else if (to == "plain") {
      data = pprof::EncodeProfile(*profile);
      binary = true;
    } else if (to == "folded" || to == "json") {
      pprof::ReportOptions options;
      options.sample_index = sample_index;
      auto prepared = pprof::Prepare(std::move(profile).value(), options);
      if (!prepared.ok()) return Fail(prepared.status());
      data = to == "folded" ? pprof::FoldedStacks(*prepared)
                            : pprof::FlameTreeToJson(pprof::BuildFlameTree(*prepared)) + "\n";
    } else {
      return Fail(InvalidArgument("unknown --to " + to + ": use proto, plain, folded or json"));
    }
    Status s = WriteOutput(output, data, binary);
    return s.ok() ? 0 : Fail(s);
  }
};

}  // namespace

void AddFlameCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<FlameCommand>();
  CLI::App* sub = app->add_subcommand(
      "flame", "Write a flame graph: a self-contained HTML page (default), SVG, JSON or folded");
  cmd->flags.Register(sub, false);
  sub->add_option("-o,--output", cmd->output,
                  "Output file; its extension picks the format (.html, .svg, .json, .folded); "
                  "- for stdout")
      ->capture_default_str();
  sub->add_option("--format", cmd->format, "html, svg, json or folded (overrides the extension)");
  sub->add_option("--max-nodes,--max_nodes", cmd->max_nodes,
                  "Keep the heaviest N frames; the rest are summed into \"other\" frames")
      ->capture_default_str();
  sub->add_flag("--icicle", cmd->icicle, "Draw the root at the top (HTML starts in icicle mode)");
  sub->add_option("--title", cmd->title, "Title shown on the page");
  sub->add_option("files", cmd->files, "Profile files; several are merged")->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

void AddTreeCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<TreeCommand>();
  CLI::App* sub = app->add_subcommand(
      "tree", "Print the call tree, callers above callees, with total and self values");
  cmd->flags.Register(sub);
  sub->add_option("-o,--output", cmd->output, "Write to this file instead of stdout");
  sub->add_option("files", cmd->files, "Profile files; several are merged")->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

void AddConvertCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<ConvertCommand>();
  CLI::App* sub = app->add_subcommand(
      "convert", "Convert a profile: to gzipped pprof, plain profile.proto, folded stacks or JSON");
  sub->add_option("--to", cmd->to, "proto (gzipped, default), plain, folded or json")
      ->capture_default_str();
  sub->add_option("--sample_index,--sample-index", cmd->sample_index,
                  "Sample value for folded/json output");
  sub->add_option("-o,--output", cmd->output, "Output file (default: stdout)");
  sub->add_option("file", cmd->file, "Profile file")->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli

#include "pprof/aggregate.h"

#include <string>

namespace kprof::pprof {

Result<Granularity> ParseGranularity(std::string_view name) {
  if (name == "functions") return Granularity::kFunctions;
  if (name == "filefunctions") return Granularity::kFileFunctions;
  if (name == "files") return Granularity::kFiles;
  if (name == "lines") return Granularity::kLines;
  if (name == "addresses") return Granularity::kAddresses;
  return InvalidArgument("unknown granularity \"" + std::string(name) +
                         "\": use functions, filefunctions, files, lines or addresses");
}

std::string_view GranularityName(Granularity g) {
  switch (g) {
    case Granularity::kFunctions:
      return "functions";
    case Granularity::kFileFunctions:
      return "filefunctions";
    case Granularity::kFiles:
      return "files";
    case Granularity::kLines:
      return "lines";
    case Granularity::kAddresses:
      return "addresses";
  }
  return "functions";
}

void Aggregate(Profile* p, Granularity g, bool inlines) {
  bool function = false, filename = false, linenumber = false, address = false;
  switch (g) {
    case Granularity::kAddresses:
      if (inlines) return;
      function = filename = linenumber = address = true;
      break;
    case Granularity::kLines:
      function = filename = linenumber = true;
      break;
    case Granularity::kFiles:
      filename = true;
      break;
    case Granularity::kFunctions:
      function = true;
      break;
    case Granularity::kFileFunctions:
      function = filename = true;
      break;
  }
  for (Mapping& m : p->mappings) {
    m.has_inline_frames = m.has_inline_frames && inlines;
    m.has_functions = m.has_functions && function;
    m.has_filenames = m.has_filenames && filename;
    m.has_line_numbers = m.has_line_numbers && linenumber;
  }
  if (!function || !filename) {
    for (Function& f : p->functions) {
      if (!function) f.name = f.system_name = 0;
      if (!filename) f.filename = 0;
    }
  }
  if (!inlines || !address || !linenumber) {
    for (Location& loc : p->locations) {
      if (!inlines && loc.line_count > 1) {
        loc.line_begin += loc.line_count - 1;
        loc.line_count = 1;
      }
      if (!linenumber) {
        for (uint32_t i = 0; i < loc.line_count; ++i) p->lines[loc.line_begin + i].line = 0;
      }
      if (!address) loc.address = 0;
    }
  }
}

}  // namespace kprof::pprof

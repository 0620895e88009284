#include "pprof/filter.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "pprof/units.h"

namespace kprof::pprof {

namespace {

using Regex = std::unique_ptr<RE2>;

Result<Regex> Compile(std::string_view name, const std::string& pattern) {
  if (pattern.empty()) return Regex();
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) {
    return InvalidArgument("parsing " + std::string(name) + " regexp: " + re->error());
  }
  return re;
}

bool Matches(const RE2& re, std::string_view s) { return RE2::PartialMatch(s, re); }

bool LineMatches(const Profile& p, const Line& line, const RE2& re) {
  if (line.function == kNoIndex) return false;
  const Function& fn = p.functions[line.function];
  return Matches(re, p.str(fn.name)) || Matches(re, p.str(fn.filename));
}

bool MappingMatches(const Profile& p, const Location& loc, const RE2& re) {
  return loc.mapping != kNoIndex && Matches(re, p.str(p.mappings[loc.mapping].filename));
}

bool LocationMatches(const Profile& p, const Location& loc, const RE2& re) {
  for (const Line& line : p.LinesOf(loc)) {
    if (LineMatches(p, line, re)) return true;
  }
  return MappingMatches(p, loc, re);
}

// Keeps the lines of `loc` for which keep(line) is true, compacting in place.
template <typename Keep>
void KeepLines(Profile* p, Location* loc, Keep&& keep) {
  uint32_t out = loc->line_begin;
  for (uint32_t i = loc->line_begin; i < loc->line_begin + loc->line_count; ++i) {
    if (keep(p->lines[i])) p->lines[out++] = p->lines[i];
  }
  loc->line_count = out - loc->line_begin;
}

// Keeps the locations of sample `s` for which keep(location index) is true.
template <typename Keep>
void KeepSampleLocations(Profile* p, Sample* s, Keep&& keep) {
  uint32_t out = s->location_begin;
  for (uint32_t i = s->location_begin; i < s->location_begin + s->location_count; ++i) {
    if (keep(p->sample_locations[i])) p->sample_locations[out++] = p->sample_locations[i];
  }
  s->location_count = out - s->location_begin;
}

// pprof's simplifyFunc: drop a leading '.', cut at the first '(' that does not
// start "(anonymous namespace)" or belong to "operator()".
std::string_view SimplifyFunc(std::string_view name) {
  if (!name.empty() && name.front() == '.') name.remove_prefix(1);
  static constexpr std::string_view kReserved[] = {"(anonymous namespace)", "operator()"};
  for (size_t i = 0; i < name.size(); ++i) {
    bool reserved = false;
    for (std::string_view r : kReserved) {
      if (name.substr(i, r.size()) == r) {
        i += r.size() - 1;
        reserved = true;
        break;
      }
    }
    if (reserved) continue;
    if (name[i] == '(') return name.substr(0, i);
  }
  return name;
}

// --- tag filters -------------------------------------------------------------------

using SampleMatcher = std::function<bool(const Profile&, const Sample&)>;

struct RangeMatch {
  std::string_view whole, number, unit;
};

// The matches of pprof's `([+-]?[[:digit:]]+)([[:alpha:]]+)?`, at most two.
std::vector<RangeMatch> FindRangeTokens(std::string_view s) {
  std::vector<RangeMatch> out;
  size_t i = 0;
  auto digit = [&](size_t k) {
    return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]));
  };
  auto alpha = [&](size_t k) {
    return k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]));
  };
  while (i < s.size() && out.size() < 2) {
    size_t start = i;
    size_t k = i;
    if ((s[k] == '+' || s[k] == '-') && digit(k + 1)) ++k;
    if (!digit(k)) {
      ++i;
      continue;
    }
    size_t number_begin = start;
    while (digit(k)) ++k;
    size_t number_end = k;
    while (alpha(k)) ++k;
    out.push_back({s.substr(start, k - start), s.substr(number_begin, number_end - number_begin),
                   s.substr(number_end, k - number_end)});
    i = k;
  }
  return out;
}

// pprof's parseTagFilterRange. Returns nullopt when `filter` is not a range.
Result<std::optional<std::function<bool(int64_t, std::string_view)>>> ParseRange(
    std::string_view filter) {
  using Fn = std::function<bool(int64_t, std::string_view)>;
  std::optional<Fn> none;
  std::vector<RangeMatch> tokens = FindRangeTokens(filter);
  if (tokens.empty()) return none;
  auto parse = [](std::string_view text, int64_t* out) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && ptr == text.data() + text.size();
  };
  int64_t v = 0;
  if (!parse(tokens[0].number, &v)) {
    return InvalidArgument("tag filter number " + std::string(tokens[0].number) +
                           " is out of range");
  }
  auto [low, unit] = ScaleValue(v, tokens[0].unit, tokens[0].unit);
  if (tokens.size() == 1) {
    std::string_view m = tokens[0].whole;
    if (filter == m) {
      return std::optional<Fn>([low = low, unit = unit](int64_t x, std::string_view u) {
        auto [sv, su] = ScaleValue(x, u, unit);
        return su == unit && sv == low;
      });
    }
    if (filter.size() == m.size() + 1 && filter.substr(0, m.size()) == m && filter.back() == ':') {
      return std::optional<Fn>([low = low, unit = unit](int64_t x, std::string_view u) {
        auto [sv, su] = ScaleValue(x, u, unit);
        return su == unit && sv >= low;
      });
    }
    if (filter.size() == m.size() + 1 && filter.front() == ':' && filter.substr(1) == m) {
      return std::optional<Fn>([low = low, unit = unit](int64_t x, std::string_view u) {
        auto [sv, su] = ScaleValue(x, u, unit);
        return su == unit && sv <= low;
      });
    }
    return none;
  }
  std::string joined = std::string(tokens[0].whole) + ":" + std::string(tokens[1].whole);
  if (filter != joined) return none;
  if (!parse(tokens[1].number, &v)) {
    return InvalidArgument("tag filter number " + std::string(tokens[1].number) +
                           " is out of range");
  }
  auto [high, unit2] = ScaleValue(v, tokens[1].unit, unit);
  if (unit2 != unit) return none;
  return std::optional<Fn>([low = low, high = high, unit = unit](int64_t x, std::string_view u) {
    auto [sv, su] = ScaleValue(x, u, unit);
    return su == unit && sv >= low && sv <= high;
  });
}

// Unit of each numeric label key: the first num_unit seen, else "bytes" for
// alignment/request, else the key itself.
std::map<std::string, std::string, std::less<>> NumLabelUnits(const Profile& p) {
  std::map<std::string, std::string, std::less<>> units;
  for (const Label& l : p.labels) {
    if (l.str != 0) continue;
    std::string key(p.str(l.key));
    auto it = units.find(key);
    if (l.num_unit != 0 && (it == units.end() || it->second.empty())) {
      units[key] = std::string(p.str(l.num_unit));
    } else if (it == units.end()) {
      units[key] = "";
    }
  }
  for (auto& [key, unit] : units) {
    if (unit.empty()) unit = (key == "alignment" || key == "request") ? "bytes" : key;
  }
  return units;
}

Result<SampleMatcher> CompileTagFilter(std::string_view name, const std::string& value,
                                       const Profile& profile) {
  if (value.empty()) return SampleMatcher();
  std::string want_key;
  std::string filter = value;
  if (size_t eq = value.find('='); eq != std::string::npos) {
    want_key = value.substr(0, eq);
    filter = value.substr(eq + 1);
  }
  KPROF_ASSIGN_OR_RETURN(auto range, ParseRange(filter));
  if (range) {
    auto units = NumLabelUnits(profile);
    auto unit_of = [units](std::string_view key) -> std::string {
      auto it = units.find(key);
      return it == units.end() ? std::string() : it->second;
    };
    auto in_range = *range;
    return SampleMatcher([want_key, unit_of, in_range](const Profile& p, const Sample& s) {
      for (const Label& l : p.LabelsOf(s)) {
        if (l.str != 0) continue;
        std::string_view key = p.str(l.key);
        if (!want_key.empty() && key != want_key) continue;
        if (in_range(l.num, unit_of(key))) return true;
      }
      return false;
    });
  }
  std::vector<std::shared_ptr<RE2>> regexes;
  size_t start = 0;
  while (true) {
    size_t comma = filter.find(',', start);
    std::string part =
        filter.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    KPROF_ASSIGN_OR_RETURN(Regex re, Compile(name, part));
    if (!re) re = std::make_unique<RE2>("");
    regexes.push_back(std::move(re));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (want_key.empty()) {
    return SampleMatcher([regexes](const Profile& p, const Sample& s) {
      for (const auto& re : regexes) {
        bool matched = false;
        for (const Label& l : p.LabelsOf(s)) {
          if (l.str == 0) continue;
          std::string kv = std::string(p.str(l.key)) + ":" + std::string(p.str(l.str));
          if (Matches(*re, kv)) {
            matched = true;
            break;
          }
        }
        if (!matched) return false;
      }
      return true;
    });
  }
  return SampleMatcher([regexes, want_key](const Profile& p, const Sample& s) {
    for (const auto& re : regexes) {
      for (const Label& l : p.LabelsOf(s)) {
        if (l.str != 0 && p.str(l.key) == want_key && Matches(*re, p.str(l.str))) return true;
      }
    }
    return false;
  });
}

std::string RemoveMatching(std::string name, char open, char close) {
  int nesting = 0;
  size_t first = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == open) {
      if (++nesting == 1) first = i;
    } else if (name[i] == close) {
      if (--nesting < 0) return name;
      if (nesting == 0) {
        name.erase(first, i - first + 1);
        i = first - 1;  // the loop's ++i resumes at `first` (unsigned wrap when 0)
      }
    }
  }
  return name;
}

}  // namespace

bool FilterOptions::empty() const {
  return focus.empty() && ignore.empty() && hide.empty() && show.empty() && show_from.empty() &&
         tagfocus.empty() && tagignore.empty() && prune_from.empty();
}

Result<FilterOutcome> ApplyFilters(Profile* p, const FilterOptions& o) {
  FilterOutcome outcome;
  KPROF_ASSIGN_OR_RETURN(Regex focus, Compile("focus", o.focus));
  KPROF_ASSIGN_OR_RETURN(Regex ignore, Compile("ignore", o.ignore));
  KPROF_ASSIGN_OR_RETURN(Regex hide, Compile("hide", o.hide));
  KPROF_ASSIGN_OR_RETURN(Regex show, Compile("show", o.show));
  KPROF_ASSIGN_OR_RETURN(Regex show_from, Compile("show_from", o.show_from));
  KPROF_ASSIGN_OR_RETURN(SampleMatcher tagfocus, CompileTagFilter("tagfocus", o.tagfocus, *p));
  KPROF_ASSIGN_OR_RETURN(SampleMatcher tagignore, CompileTagFilter("tagignore", o.tagignore, *p));
  KPROF_ASSIGN_OR_RETURN(Regex prune_from, Compile("prune_from", o.prune_from));

  // focus / ignore / hide / show, one pass over the locations.
  enum : uint8_t { kNeither = 0, kFocused = 1, kIgnored = 2 };
  std::vector<uint8_t> mark(p->locations.size(), kNeither);
  std::vector<bool> hidden(p->locations.size(), false);
  bool any_hidden = false;
  bool fm = false, im = false, hm = false, sm = false;
  for (size_t i = 0; i < p->locations.size(); ++i) {
    Location& loc = p->locations[i];
    if (ignore && LocationMatches(*p, loc, *ignore)) {
      im = true;
      mark[i] = kIgnored;
    } else if (!focus || LocationMatches(*p, loc, *focus)) {
      fm = true;
      mark[i] = kFocused;
    }
    if (hide && LocationMatches(*p, loc, *hide)) {
      hm = true;
      if (MappingMatches(*p, loc, *hide)) {
        loc.line_count = 0;
      } else {
        KeepLines(p, &loc, [&](const Line& l) { return !LineMatches(*p, l, *hide); });
      }
      if (loc.line_count == 0) hidden[i] = any_hidden = true;
    }
    if (show) {
      if (!MappingMatches(*p, loc, *show)) {
        KeepLines(p, &loc, [&](const Line& l) {
          return l.function == kNoIndex || LineMatches(*p, l, *show);
        });
      }
      if (loc.line_count == 0) {
        hidden[i] = any_hidden = true;
      } else {
        sm = true;
      }
    }
  }
  KeepSamples(p, [&](size_t si) {
    Sample& s = p->samples[si];
    bool focused = false;
    for (uint32_t loc : p->LocationsOf(s)) {
      if (mark[loc] == kIgnored) return false;
      if (mark[loc] == kFocused) focused = true;
    }
    if (!focused) return false;
    if (any_hidden) {
      KeepSampleLocations(p, &s, [&](uint32_t loc) { return !hidden[loc]; });
      if (s.location_count == 0) return false;
    }
    return true;
  });
  if (focus && !fm) outcome.warnings.push_back("Focus expression matched no samples");
  if (ignore && !im) outcome.warnings.push_back("Ignore expression matched no samples");
  if (hide && !hm) outcome.warnings.push_back("Hide expression matched no samples");
  if (show && !sm) outcome.warnings.push_back("Show expression matched no samples");

  if (show_from) {
    std::vector<bool> matched(p->locations.size(), false);
    bool any = false;
    for (size_t i = 0; i < p->locations.size(); ++i) {
      Location& loc = p->locations[i];
      if (MappingMatches(*p, loc, *show_from)) {
        matched[i] = any = true;
        continue;
      }
      for (uint32_t k = loc.line_count; k-- > 0;) {
        if (LineMatches(*p, p->lines[loc.line_begin + k], *show_from)) {
          loc.line_count = k + 1;
          matched[i] = any = true;
          break;
        }
      }
    }
    KeepSamples(p, [&](size_t si) {
      Sample& s = p->samples[si];
      for (uint32_t k = s.location_count; k-- > 0;) {
        if (matched[p->sample_locations[s.location_begin + k]]) {
          s.location_count = k + 1;
          return true;
        }
      }
      return false;
    });
    if (!any) outcome.warnings.push_back("ShowFrom expression matched no samples");
  }

  if (tagfocus || tagignore) {
    bool tfm = false, tim = false;
    KeepSamples(p, [&](size_t si) {
      const Sample& s = p->samples[si];
      bool focused = !tagfocus || tagfocus(*p, s);
      bool ignored = tagignore && tagignore(*p, s);
      tfm = tfm || focused;
      tim = tim || ignored;
      return focused && !ignored;
    });
    if (tagfocus && !tfm) outcome.warnings.push_back("TagFocus expression matched no samples");
    if (tagignore && !tim) outcome.warnings.push_back("TagIgnore expression matched no samples");
  }

  if (prune_from) {
    std::vector<bool> beneath(p->locations.size(), false);
    for (size_t i = 0; i < p->locations.size(); ++i) {
      Location& loc = p->locations[i];
      for (uint32_t k = 0; k < loc.line_count; ++k) {
        const Line& line = p->lines[loc.line_begin + k];
        if (line.function == kNoIndex) continue;
        std::string_view name = p->str(p->functions[line.function].name);
        if (name.empty()) continue;
        if (Matches(*prune_from, SimplifyFunc(name))) {
          beneath[i] = true;
          loc.line_begin += k;
          loc.line_count -= k;
          break;
        }
      }
    }
    for (Sample& s : p->samples) {
      for (uint32_t k = 0; k < s.location_count; ++k) {
        if (beneath[p->sample_locations[s.location_begin + k]]) {
          s.location_begin += k;
          s.location_count -= k;
          break;
        }
      }
    }
  }
  return outcome;
}

std::vector<std::string> ActiveFilterLegend(const FilterOptions& o) {
  std::vector<std::pair<const char*, const std::string*>> all = {
      {"focus", &o.focus},         {"ignore", &o.ignore},       {"hide", &o.hide},
      {"show", &o.show},           {"show_from", &o.show_from}, {"tagfocus", &o.tagfocus},
      {"tagignore", &o.tagignore},
  };
  std::vector<std::string> lines;
  for (auto& [name, value] : all) {
    if (value->empty()) continue;
    std::string entry = std::string(name) + "=" + *value;
    if (entry.size() > 80) entry = entry.substr(0, 80) + "\xe2\x80\xa6";
    lines.push_back("   " + entry);
  }
  if (!lines.empty()) lines.insert(lines.begin(), "Active filters:");
  return lines;
}

Status PruneDropFrames(Profile* p) {
  if (p->drop_frames == 0 || p->str(p->drop_frames).empty()) return Status::Ok();
  KPROF_ASSIGN_OR_RETURN(Regex drop,
                         Compile("drop_frames", "^(" + std::string(p->str(p->drop_frames)) + ")$"));
  Regex keep;
  if (p->keep_frames != 0 && !p->str(p->keep_frames).empty()) {
    KPROF_ASSIGN_OR_RETURN(
        keep, Compile("keep_frames", "^(" + std::string(p->str(p->keep_frames)) + ")$"));
  }
  std::vector<bool> prune(p->locations.size(), false);
  std::vector<bool> beneath(p->locations.size(), false);
  for (size_t i = 0; i < p->locations.size(); ++i) {
    Location& loc = p->locations[i];
    int64_t k = static_cast<int64_t>(loc.line_count) - 1;
    for (; k >= 0; --k) {
      const Line& line = p->lines[loc.line_begin + k];
      if (line.function == kNoIndex) continue;
      std::string_view name = p->str(p->functions[line.function].name);
      if (name.empty()) continue;
      std::string_view simple = SimplifyFunc(name);
      if (Matches(*drop, simple) && (!keep || !Matches(*keep, simple))) break;
    }
    if (k < 0) continue;
    beneath[i] = true;
    if (k == static_cast<int64_t>(loc.line_count) - 1) {
      prune[i] = true;
    } else {
      loc.line_begin += static_cast<uint32_t>(k + 1);
      loc.line_count -= static_cast<uint32_t>(k + 1);
    }
  }
  for (Sample& s : p->samples) {
    bool found_user = false;
    for (uint32_t k = s.location_count; k-- > 0;) {
      uint32_t loc = p->sample_locations[s.location_begin + k];
      if (!prune[loc] && !beneath[loc]) {
        found_user = true;
        continue;
      }
      if (!found_user) continue;
      if (prune[loc]) {
        s.location_begin += k + 1;
        s.location_count -= k + 1;
      } else {
        s.location_begin += k;
        s.location_count -= k;
      }
      break;
    }
  }
  return Status::Ok();
}

void SimplifyFunctionNames(Profile* p) {
  for (Function& fn : p->functions) {
    std::string_view name = p->str(fn.name);
    std::string_view system = p->str(fn.system_name);
    if (!name.empty() && name != system) continue;
    std::string simplified(system);
    bool looks_cpp = simplified.find(".<") == std::string::npos &&
                     simplified.find("]).") == std::string::npos &&
                     (simplified.find_first_of("<>[]") != std::string::npos ||
                      simplified.find("::") != std::string::npos);
    if (looks_cpp) {
      simplified = RemoveMatching(std::move(simplified), '(', ')');
      simplified = RemoveMatching(std::move(simplified), '<', '>');
    }
    if (simplified == system) {
      fn.name = fn.system_name;
    } else {
      fn.name = p->strings.Append(simplified);
    }
  }
}

}  // namespace kprof::pprof

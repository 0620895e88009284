#include "pprof/units.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace kprof::pprof {

namespace {

struct Unit {
  const char* name;
  std::vector<const char*> aliases;
  double factor;
};

struct UnitFamily {
  const char* default_unit;
  std::vector<Unit> units;
};

const std::vector<UnitFamily>& Families() {
  static const auto* families = new std::vector<UnitFamily>{
      {"B",
       {{"B", {"b", "byte"}, 1},
        {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
        {"MB", {"mb", "mbyte", "megabyte"}, 1024.0 * 1024},
        {"GB", {"gb", "gbyte", "gigabyte"}, 1024.0 * 1024 * 1024},
        {"TB", {"tb", "tbyte", "terabyte"}, 1024.0 * 1024 * 1024 * 1024},
        {"PB", {"pb", "pbyte", "petabyte"}, 1024.0 * 1024 * 1024 * 1024 * 1024}}},
      {"s",
       {{"ns", {"ns", "nanosecond"}, 1},
        {"us", {"μs", "us", "microsecond"}, 1e3},
        {"ms", {"ms", "millisecond"}, 1e6},
        {"s", {"s", "sec", "second"}, 1e9},
        {"hrs", {"hour", "hr"}, 1e9 * 60 * 60}}},
      {"GCU",
       {{"n*GCU", {"nanogcu"}, 1e-9},
        {"u*GCU", {"microgcu"}, 1e-6},
        {"m*GCU", {"milligcu"}, 1e-3},
        {"GCU", {"gcu"}, 1},
        {"k*GCU", {"kilogcu"}, 1e3},
        {"M*GCU", {"megagcu"}, 1e6},
        {"G*GCU", {"gigagcu"}, 1e9},
        {"T*GCU", {"teragcu"}, 1e12},
        {"P*GCU", {"petagcu"}, 1e15}}},
  };
  return *families;
}

std::string Sniff(std::string_view unit) {
  std::string s(unit);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.size() > 2 && s.back() == 's') s.pop_back();
  return s;
}

const Unit* FindIn(const UnitFamily& family, std::string_view unit) {
  std::string sniffed = Sniff(unit);
  for (const Unit& u : family.units) {
    for (const char* alias : u.aliases) {
      if (sniffed == alias) return &u;
    }
  }
  return nullptr;
}

const Unit* DefaultOf(const UnitFamily& family) {
  for (const Unit& u : family.units) {
    if (std::string_view(u.name) == family.default_unit) return &u;
  }
  return &family.units.front();
}

}  // namespace

std::pair<double, std::string> ScaleValue(int64_t value, std::string_view from_unit,
                                          std::string_view to_unit) {
  if (value < 0 && value != INT64_MIN) {
    auto [v, u] = ScaleValue(-value, from_unit, to_unit);
    return {-v, u};
  }
  for (const UnitFamily& family : Families()) {
    const Unit* from = FindIn(family, from_unit);
    if (from == nullptr) continue;
    double v = static_cast<double>(value) * from->factor;
    if (to_unit == "minimum" || to_unit == "auto") {
      const Unit* best = nullptr;
      for (const Unit& u : family.units) {
        if (v / u.factor >= 1 && (best == nullptr || u.factor >= best->factor)) best = &u;
      }
      if (best == nullptr) best = DefaultOf(family);
      return {v / best->factor, best->name};
    }
    if (const Unit* to = FindIn(family, to_unit)) return {v / to->factor, to->name};
    const Unit* def = DefaultOf(family);
    return {v / def->factor, def->name};
  }
  if (to_unit == "count" || to_unit == "sample" || to_unit == "unit" || to_unit == "minimum" ||
      to_unit == "auto") {
    return {static_cast<double>(value), ""};
  }
  return {static_cast<double>(value), std::string(to_unit)};
}

std::string ScaledLabel(int64_t value, std::string_view from_unit, std::string_view to_unit) {
  auto [v, unit] = ScaleValue(value, from_unit, to_unit);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  std::string s(buf);
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, ".00") == 0) s.resize(s.size() - 3);
  if (s == "0" || s == "-0") return "0";
  return s + unit;
}

std::string Percentage(int64_t value, int64_t total) {
  double ratio = 0;
  if (total != 0) ratio = std::fabs(static_cast<double>(value) / static_cast<double>(total)) * 100;
  char buf[64];
  if (ratio >= 99.95 && ratio <= 100.05) return "  100%";
  if (ratio >= 1.0) {
    std::snprintf(buf, sizeof(buf), "%5.2f%%", ratio);
  } else {
    std::snprintf(buf, sizeof(buf), "%5.2g%%", ratio);
  }
  return buf;
}

bool IsKnownUnit(std::string_view unit) {
  for (const UnitFamily& family : Families()) {
    if (FindIn(family, unit) != nullptr) return true;
  }
  return false;
}

}  // namespace kprof::pprof

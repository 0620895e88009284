// Selector: a Prometheus-style label selector that picks stored profiles by their labels.
//
//   {namespace="prod", deployment=~"api-.*", pod!="x", zone!~"us-.*"}
//   checkout{namespace="prod"}      a leading name means service="checkout"
//   {}  or ""                       matches every label set
//
// Syntax, as in PromQL:
//   - matchers are separated by commas; a trailing comma and whitespace anywhere are fine;
//   - label names match [a-zA-Z_][a-zA-Z0-9_./-]* (the kprof label name syntax, see
//     labels.h), or are quoted strings as in Prometheus 3 ({"my label"="x"}); the leading
//     service name may also contain ':' and start with a digit
//     ([a-zA-Z0-9_][a-zA-Z0-9_.:-]*), since service names are often DNS names;
//   - values are Go string literals: "double" or 'single' quoted with the escapes
//     \a \b \f \n \r \t \v \\ \" (in "") \' (in '') \xHH \OOO \uXXXX \UXXXXXXXX, or
//     `raw` without escapes.
//
// Semantics, as in Prometheus: a label that is absent has the value "", so `x!="a"` and
// `x=""` and `x=~".*"` all match a set without x. Regexes are RE2 and fully anchored:
// `a=~"b"` matches only "b", never "abc". As in Prometheus 3, `.` matches a newline.
// All matchers must match.
//
// Parse errors are kInvalidArgument and point at a byte offset (0-based) in the text:
//   selector: at offset 12: expected '=', '!=', '=~' or '!~' after label name "pod"
//
// Thread-safety: a parsed Selector is immutable; Matches() may be called from any number
// of threads at once (RE2 is thread-safe). Copies share compiled regexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/labels.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace kprof::store {

// Bounds on untrusted selector text.
inline constexpr size_t kMaxSelectorBytes = 4096;
inline constexpr size_t kMaxSelectorMatchers = 64;
// RE2's memory budget per regex (compiled program plus match-time DFA cache). A regex
// that needs more fails to compile with RE2's "pattern too large" error; at match time
// RE2 falls back to slower but bounded matching.
inline constexpr int64_t kMaxRegexMemory = 1 << 20;

struct LabelMatcher {
  enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };

  // Builds a matcher, compiling the regex for kRegex and kNotRegex. Fails with
  // kInvalidArgument (carrying RE2's error) if the regex does not compile. The name is
  // not checked.
  static Result<LabelMatcher> Make(std::string name, Op op, std::string value);

  // `label_value` is nullopt when the label is absent, which matches like "".
  bool Matches(std::optional<std::string_view> label_value) const;

  // name="value", name!="value", name=~"re" or name!~"re", with the value quoted by
  // QuoteString, and the name too if it is not a bare label name.
  std::string ToString() const;

  std::string name;
  Op op = Op::kEqual;
  std::string value;  // the literal, or the regex as written (unanchored)
  // For kRegex and kNotRegex: `value` compiled as ^(?:value)$, so that any RE2 match
  // function gives Prometheus semantics. Null for the other ops.
  std::shared_ptr<const re2::RE2> regex;
};

std::string_view LabelMatcherOpName(LabelMatcher::Op op);  // "=", "!=", "=~", "!~"

class Selector {
 public:
  // The empty selector: matches everything.
  Selector() = default;

  static Result<Selector> Parse(std::string_view text);
  // Equality matchers for each label: what profefe's `labels=k=v,...` filter means.
  static Selector FromLabels(const Labels& labels);

  bool Matches(const Labels& labels) const;

  // In the order written; a leading service name is the first matcher.
  const std::vector<LabelMatcher>& matchers() const { return matchers_; }
  bool MatchesAll() const { return matchers_.empty(); }

  // The value of the first `=` matcher on `name`, for index lookups. Nullopt if there is
  // none, and also for `name=""`, which matches sets without the label and so cannot be
  // answered from an index of values.
  std::optional<std::string> EqualityValue(std::string_view name) const;

  // Canonical text that Parse() accepts: {service="checkout", pod=~"api-.*"}; `{}` when
  // empty. A leading service name is written as a service matcher.
  std::string ToString() const;

 private:
  std::vector<LabelMatcher> matchers_;
};

}  // namespace kprof::store

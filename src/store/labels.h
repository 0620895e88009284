// Labels: the name/value pairs that identify a stored profile (service, namespace, pod,
// version, ...), kept as a small set sorted by name with unique names.
//
// Labels is a plain value type. It does not validate its contents: label text from
// outside (an HTTP request, a Kubernetes object) goes through ValidateLabels or
// ParseProfefeLabels at the edge, so that limits can change without making stored
// label sets unreadable.
//
// Encode() is a persistent format (specified at Encode below) and Hash() a persistent
// value; neither may change without a storage format version bump.
//
// Thread-safety: plain values; const methods may be called from any thread.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kprof::store {

struct Label {
  std::string name, value;

  auto operator<=>(const Label&) const = default;
};

// Limits for label text that arrives from outside. The defaults are what the HTTP API
// enforces.
struct LabelLimits {
  size_t max_name_bytes = 128;
  size_t max_value_bytes = 1024;
  size_t max_labels = 64;
};

class Labels {
 public:
  using const_iterator = std::vector<Label>::const_iterator;

  Labels() = default;

  // Sorts by name; fails with kInvalidArgument if a name occurs twice.
  static Result<Labels> Make(std::vector<Label> labels);

  // The value of `name`, or nullopt if there is no such label. The view is valid until
  // this set is next modified.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Adds the label, or replaces the value of an existing label with that name.
  void Set(std::string_view name, std::string_view value);
  // Returns whether a label was removed.
  bool Remove(std::string_view name);

  const_iterator begin() const { return labels_.begin(); }
  const_iterator end() const { return labels_.end(); }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }

  bool operator==(const Labels&) const = default;
  auto operator<=>(const Labels&) const = default;

  // Prometheus text form: {a="x", b="y"}, with `"`, `\` and newline escaped. `{}` when
  // empty.
  std::string ToString() const;

  // 64-bit FNV-1a over name\0value\0 for each label in name order. Stable across runs,
  // builds and platforms, so it may be persisted. Unambiguous for label sets that passed
  // validation (names and values then contain no NUL).
  uint64_t Hash() const;

  // Label set encoding, compact and persistent:
  //   varint(count) then, per label in name order,
  //   varint(len(name)) name varint(len(value)) value
  // with varints as in protobuf (7 bits per byte, little-endian groups).
  std::string Encode() const;
  void EncodeTo(std::string* out) const;
  // Decodes untrusted bytes: every length is bounds-checked, varints must be in their
  // shortest form and names strictly increasing (sorted and unique), and trailing bytes
  // are an error, so Decode accepts exactly the outputs of Encode. Label text is not
  // validated against LabelLimits. Errors are kInvalidArgument.
  static Result<Labels> Decode(std::string_view bytes);

 private:
  explicit Labels(std::vector<Label> sorted) : labels_(std::move(sorted)) {}

  std::vector<Label> labels_;  // sorted by name, names unique
};

// Checks one label from outside. Names match [a-zA-Z_][a-zA-Z0-9_./-]*: wider than
// Prometheus ([a-zA-Z_][a-zA-Z0-9_]*) because Kubernetes label keys such as
// `app.kubernetes.io/version` are common and are used as kprof labels unchanged. Values
// are any valid UTF-8 without control characters (tab is allowed); an empty value is
// allowed. Errors are kInvalidArgument and name the label.
Status ValidateLabel(std::string_view name, std::string_view value, const LabelLimits& limits = {});
// ValidateLabel for each label, plus the label count limit.
Status ValidateLabels(const Labels& labels, const LabelLimits& limits = {});

// profefe's label syntax, `k=v,k2=v2`, as found in the `labels` query parameter after
// the transport has URL-decoded it once. Compatible with what profefe accepts from its
// own agent and from kube-profefe:
//   - empty items are skipped (kube-profefe sends a leading comma: ",namespace=x,pod=y");
//   - each item splits at its first '=', so values may contain '=';
//   - key and value are trimmed of surrounding whitespace, then URL-decoded once more
//     ('+' is a space, %XX a byte), because profefe's agent escapes each key and value
//     before it escapes the whole parameter. A value that needs a literal ',' is sent
//     as %2C.
// Stricter than profefe, which silently drops or duplicates labels: an item without '=',
// an empty key and a repeated key are errors. The result is checked with ValidateLabels.
// Errors are kInvalidArgument and start with "labels: ".
Result<Labels> ParseProfefeLabels(std::string_view text, const LabelLimits& limits = {});

// The inverse of ParseProfefeLabels: `k=v,k2=v2` with each key and value URL-escaped
// (query escaping: ' ' is '+'), ready to be put into a `labels` query parameter (which
// the URL builder escapes again). Empty for an empty set.
std::string FormatProfefeLabels(const Labels& labels);

// A Go-style double-quoted literal (like strconv.Quote): `"` and `\` are escaped, as are
// control characters (\n, \t, \xHH, \u00HH) and bytes that are not valid UTF-8 (\xHH).
// The result parses back with the selector string syntax. If `max_bytes` is smaller than
// the input, only a prefix of about that size is quoted and "..." is appended: use this
// to echo untrusted input in an error message.
std::string QuoteString(std::string_view text, size_t max_bytes = SIZE_MAX);

// The length of the valid UTF-8 sequence at the start of `text` and its code point, or
// 0 if it is not valid (truncated, overlong, a surrogate or above U+10FFFF).
size_t DecodeUtf8(std::string_view text, char32_t* rune);

}  // namespace kprof::store

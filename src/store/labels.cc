#include "store/labels.h"

#include <algorithm>
#include <utility>

#include "base/strings.h"

namespace kprof::store {

namespace {

// How much of an offending name or value an error message echoes.
constexpr size_t kQuoteInErrors = 64;

bool IsControl(char32_t rune) {
  return (rune < 0x20 && rune != '\t') || (rune >= 0x7f && rune <= 0x9f);
}

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsNameChar(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

std::string Quoted(std::string_view text) { return QuoteString(text, kQuoteInErrors); }

const char kHex[] = "0123456789ABCDEF";

void AppendHexByte(std::string* out, std::string_view prefix, unsigned byte) {
  out->append(prefix);
  out->push_back(kHex[(byte >> 4) & 0xf]);
  out->push_back(kHex[byte & 0xf]);
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint from `*in`, advancing it. False if truncated, longer than 64 bits or
// not in its shortest form, so that every label set has exactly one encoding.
bool ReadVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) return false;
    uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    if ((shift == 63 && byte > 1) || (shift > 0 && byte == 0)) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool ReadString(std::string_view* in, std::string* out) {
  uint64_t length;
  if (!ReadVarint(in, &length) || length > in->size()) return false;
  out->assign(in->substr(0, length));
  in->remove_prefix(length);
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape: '+' is a space, %XX a byte; a '%' without two hex digits is an
// error.
Result<std::string> QueryUnescape(std::string_view item, std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) {
        return InvalidArgument("labels: item " + Quoted(item) + " has an invalid URL escape " +
                               Quoted(text.substr(i, 3)) + "; write a literal '%' as %25");
      }
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

size_t DecodeUtf8(std::string_view text, char32_t* rune) {
  if (text.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    *rune = b0;
    return 1;
  }
  size_t length;
  char32_t value;
  char32_t min;
  if ((b0 & 0xe0) == 0xc0) {
    length = 2, value = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    length = 3, value = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    length = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3f);
  }
  if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
  *rune = value;
  return length;
}

std::string QuoteString(std::string_view text, size_t max_bytes) {
  bool truncated = false;
  if (text.size() > max_bytes) {
    size_t cut = max_bytes;
    // Do not split a UTF-8 sequence: back off over continuation bytes.
    for (int i = 0; i < 3 && cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xc0) == 0x80; ++i) {
      --cut;
    }
    text = text.substr(0, cut);
    truncated = true;
  }
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  while (!text.empty()) {
    char32_t rune;
    size_t length = DecodeUtf8(text, &rune);
    if (length == 0) {
      AppendHexByte(&out, "\\x", static_cast<uint8_t>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    switch (rune) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (rune < 0x20 || rune == 0x7f) {
          AppendHexByte(&out, "\\x", rune);
        } else if (rune >= 0x80 && rune <= 0x9f) {
          AppendHexByte(&out, "\\u00", rune);
        } else {
          out.append(text.substr(0, length));
        }
    }
    text.remove_prefix(length);
  }
  out.push_back('"');
  if (truncated) out += "...";
  return out;
}

Result<Labels> Labels::Make(std::vector<Label> labels) {
  std::sort(labels.begin(), labels.end());
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) {
      return InvalidArgument("label " + Quoted(labels[i].name) + " occurs more than once");
    }
  }
  return Labels(std::move(labels));
}

namespace {

struct NameLess {
  bool operator()(const Label& label, std::string_view name) const { return label.name < name; }
};

}  // namespace

std::optional<std::string_view> Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name, NameLess());
  if (it == labels_.end() || it->name != name) return std::nullopt;
  return std::string_view(it->value);
}

void Labels::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name, NameLess());
  if (it != labels_.end() && it->name == name) {
    it->value.assign(value);
  } else {
    labels_.insert(it, Label{std::string(name), std::string(value)});
  }
}

bool Labels::Remove(std::string_view name) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name, NameLess());
  if (it == labels_.end() || it->name != name) return false;
  labels_.erase(it);
  return true;
}

std::string Labels::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels_[i].name;
    out += "=\"";
    for (char c : labels_[i].value) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

uint64_t Labels::Hash() const {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  const auto add = [&h](std::string_view bytes) {
    for (char c : bytes) {
      h ^= static_cast<uint8_t>(c);
      h *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
    }
    h *= 0x100000001b3ULL;  // the terminating NUL: h ^= 0 is a no-op
  };
  for (const Label& label : labels_) {
    add(label.name);
    add(label.value);
  }
  return h;
}

std::string Labels::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void Labels::EncodeTo(std::string* out) const {
  AppendVarint(out, labels_.size());
  for (const Label& label : labels_) {
    AppendVarint(out, label.name.size());
    out->append(label.name);
    AppendVarint(out, label.value.size());
    out->append(label.value);
  }
}

Result<Labels> Labels::Decode(std::string_view bytes) {
  std::string_view in = bytes;
  uint64_t count;
  if (!ReadVarint(&in, &count)) return InvalidArgument("label set: truncated label count");
  // Each label takes at least two bytes, which bounds the allocation below.
  if (count > in.size() / 2) {
    return InvalidArgument("label set: count " + std::to_string(count) + " does not fit in " +
                           std::to_string(in.size()) + " bytes");
  }
  std::vector<Label> labels(count);
  for (uint64_t i = 0; i < count; ++i) {
    Label& label = labels[i];
    if (!ReadString(&in, &label.name) || !ReadString(&in, &label.value)) {
      return InvalidArgument("label set: label " + std::to_string(i) + " is truncated");
    }
    if (i > 0 && !(labels[i - 1].name < label.name)) {
      return InvalidArgument("label set: label " + std::to_string(i) + " " + Quoted(label.name) +
                             " is not after " + Quoted(labels[i - 1].name) +
                             " (names must be sorted and unique)");
    }
  }
  if (!in.empty()) {
    return InvalidArgument("label set: " + std::to_string(in.size()) +
                           " unexpected bytes after the last label");
  }
  return Labels(std::move(labels));
}

Status ValidateLabel(std::string_view name, std::string_view value, const LabelLimits& limits) {
  if (name.empty()) return InvalidArgument("label name is empty");
  if (name.size() > limits.max_name_bytes) {
    return InvalidArgument("label name " + Quoted(name) + " is " + std::to_string(name.size()) +
                           " bytes; the limit is " + std::to_string(limits.max_name_bytes));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == 0 ? !IsNameStart(name[i]) : !IsNameChar(name[i])) {
      return InvalidArgument("label name " + Quoted(name) + " has " +
                             QuoteString(name.substr(i, 1)) + " at byte " + std::to_string(i) +
                             "; names match [a-zA-Z_][a-zA-Z0-9_./-]*");
    }
  }
  if (value.size() > limits.max_value_bytes) {
    return InvalidArgument("label " + Quoted(name) + ": value is " + std::to_string(value.size()) +
                           " bytes; the limit is " + std::to_string(limits.max_value_bytes));
  }
  for (size_t i = 0; i < value.size();) {
    char32_t rune;
    size_t length = DecodeUtf8(value.substr(i), &rune);
    if (length == 0) {
      return InvalidArgument("label " + Quoted(name) + ": value " + Quoted(value) +
                             " is not valid UTF-8 at byte " + std::to_string(i));
    }
    if (IsControl(rune)) {
      return InvalidArgument("label " + Quoted(name) + ": value " + Quoted(value) +
                             " has a control character at byte " + std::to_string(i));
    }
    i += length;
  }
  return Status::Ok();
}

Status ValidateLabels(const Labels& labels, const LabelLimits& limits) {
  if (labels.size() > limits.max_labels) {
    return InvalidArgument(std::to_string(labels.size()) + " labels; the limit is " +
                           std::to_string(limits.max_labels));
  }
  for (const Label& label : labels)
    KPROF_RETURN_IF_ERROR(ValidateLabel(label.name, label.value, limits));
  return Status::Ok();
}

Result<Labels> ParseProfefeLabels(std::string_view text, const LabelLimits& limits) {
  std::vector<Label> labels;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (TrimSpace(item).empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("labels: item " + Quoted(item) +
                             " has no '='; write key=value,key2=value2");
    }
    KPROF_ASSIGN_OR_RETURN(std::string name, QueryUnescape(item, TrimSpace(item.substr(0, eq))));
    KPROF_ASSIGN_OR_RETURN(std::string value, QueryUnescape(item, TrimSpace(item.substr(eq + 1))));
    if (name.empty()) {
      return InvalidArgument("labels: item " + Quoted(item) +
                             " has an empty key; write key=value,key2=value2");
    }
    // Checked per item so that a huge parameter fails before it is all copied.
    if (labels.size() == limits.max_labels) {
      return InvalidArgument("labels: more than " + std::to_string(limits.max_labels) +
                             " labels (the limit)");
    }
    labels.push_back(Label{std::move(name), std::move(value)});
  }
  Result<Labels> result = Labels::Make(std::move(labels));
  if (!result.ok()) return result.status().WithContext("labels");
  Status valid = ValidateLabels(*result, limits);
  if (!valid.ok()) return valid.WithContext("labels");
  return result;
}

std::string FormatProfefeLabels(const Labels& labels) {
  std::string out;
  bool first = true;
  for (const Label& label : labels) {
    if (!first) out.push_back(',');
    first = false;
    AppendQueryEscaped(&out, label.name);
    out.push_back('=');
    AppendQueryEscaped(&out, label.value);
  }
  return out;
}

}  // namespace kprof::store

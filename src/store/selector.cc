#include "store/selector.h"

#include <re2/re2.h>

#include <utility>

namespace kprof::store {

namespace {

// How much of a regex an error message echoes.
constexpr size_t kQuoteInErrors = 64;

constexpr std::string_view kServiceLabel = "service";

bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsLabelNameChar(char c) {
  return IsLabelNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

bool IsServiceNameStart(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }

bool IsServiceNameChar(char c) { return IsServiceNameStart(c) || c == '.' || c == ':' || c == '-'; }

bool IsBareLabelName(std::string_view name) {
  if (name.empty() || !IsLabelNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsLabelNameChar(c)) return false;
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsQuote(char c) { return c == '"' || c == '\'' || c == '`'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, char32_t rune) {
  if (rune < 0x80) {
    out->push_back(static_cast<char>(rune));
  } else if (rune < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (rune >> 6)));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3f)));
  } else if (rune < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (rune >> 12)));
    out->push_back(static_cast<char>(0x80 | ((rune >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (rune >> 18)));
    out->push_back(static_cast<char>(0x80 | ((rune >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((rune >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3f)));
  }
}

// Recursive descent over the selector text; `pos_` is the byte offset errors report.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<std::vector<LabelMatcher>> Parse() {
    std::vector<LabelMatcher> matchers;
    SkipSpace();
    if (AtEnd()) return matchers;
    if (Peek() != '{') {
      if (!IsServiceNameStart(Peek())) {
        return Error(pos_, "expected a service name or '{', " + Found());
      }
      size_t start = pos_;
      while (!AtEnd() && IsServiceNameChar(Peek())) ++pos_;
      KPROF_ASSIGN_OR_RETURN(
          LabelMatcher service,
          LabelMatcher::Make(std::string(kServiceLabel), LabelMatcher::Op::kEqual,
                             std::string(text_.substr(start, pos_ - start))));
      matchers.push_back(std::move(service));
      SkipSpace();
      if (AtEnd()) return matchers;
      if (Peek() != '{') {
        return Error(pos_, "expected '{' or the end after the service name, " + Found());
      }
    }
    ++pos_;  // '{'
    while (true) {
      SkipSpace();
      if (!AtEnd() && Peek() == '}') break;
      if (matchers.size() == kMaxSelectorMatchers) {
        return Error(pos_,
                     "more than " + std::to_string(kMaxSelectorMatchers) + " matchers (the limit)");
      }
      KPROF_ASSIGN_OR_RETURN(LabelMatcher matcher, ParseMatcher());
      matchers.push_back(std::move(matcher));
      SkipSpace();
      if (!AtEnd() && Peek() == ',') {
        ++pos_;
        continue;
      }
      if (!AtEnd() && Peek() == '}') break;
      return Error(pos_, "expected ',' or '}' after the matcher for label " +
                             QuoteString(matchers.back().name) + ", " + Found());
    }
    ++pos_;  // '}'
    SkipSpace();
    if (!AtEnd()) return Error(pos_, "expected the end of the selector after '}', " + Found());
    return matchers;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }

  Status Error(size_t offset, std::string_view what) const {
    return InvalidArgument("selector: at offset " + std::to_string(offset) + ": " +
                           std::string(what));
  }

  // "found X" for the character at pos_, for the end of an error message.
  std::string Found() const {
    if (AtEnd()) return "found the end of the selector";
    char32_t rune;
    size_t length = DecodeUtf8(text_.substr(pos_), &rune);
    return "found " + QuoteString(text_.substr(pos_, length == 0 ? 1 : length));
  }

  Result<LabelMatcher> ParseMatcher() {
    std::string name;
    if (!AtEnd() && IsQuote(Peek())) {
      size_t start = pos_;
      KPROF_ASSIGN_OR_RETURN(name, ParseString());
      if (name.empty()) return Error(start, "a quoted label name must not be empty");
    } else if (!AtEnd() && IsLabelNameStart(Peek())) {
      size_t start = pos_;
      while (!AtEnd() && IsLabelNameChar(Peek())) ++pos_;
      name = text_.substr(start, pos_ - start);
    } else {
      return Error(pos_, "expected a label name or '}', " + Found());
    }
    std::string quoted_name = QuoteString(name);
    SkipSpace();

    LabelMatcher::Op op;
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("=~")) {
      op = LabelMatcher::Op::kRegex;
    } else if (rest.starts_with("!~")) {
      op = LabelMatcher::Op::kNotRegex;
    } else if (rest.starts_with("!=")) {
      op = LabelMatcher::Op::kNotEqual;
    } else if (rest.starts_with("=")) {
      op = LabelMatcher::Op::kEqual;
    } else {
      return Error(pos_, "expected '=', '!=', '=~' or '!~' after label name " + quoted_name + ", " +
                             Found());
    }
    pos_ += LabelMatcherOpName(op).size();
    SkipSpace();

    size_t value_start = pos_;
    if (AtEnd() || !IsQuote(Peek())) {
      return Error(pos_, "expected a quoted string after '" + std::string(LabelMatcherOpName(op)) +
                             "' for label " + quoted_name + ", " + Found());
    }
    KPROF_ASSIGN_OR_RETURN(std::string value, ParseString());
    Result<LabelMatcher> matcher = LabelMatcher::Make(std::move(name), op, std::move(value));
    if (!matcher.ok()) {
      return Error(value_start, "label " + quoted_name + ": " + matcher.status().message());
    }
    return matcher;
  }

  // A Go string literal starting at pos_ (which holds the quote).
  Result<std::string> ParseString() {
    size_t start = pos_;
    char quote = Peek();
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd()) return Error(start, "the string that starts here is not terminated");
      char c = Peek();
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (quote == '`') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (c == '\n') {
        return Error(pos_, "newline in a quoted string; write \\n, or use a `raw` string");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      KPROF_RETURN_IF_ERROR(ParseEscape(quote, &out));
    }
  }

  // The escape sequence at pos_ (which holds the backslash).
  Status ParseEscape(char quote, std::string* out) {
    size_t start = pos_;
    ++pos_;
    if (AtEnd()) return Error(start, "the string ends inside an escape sequence");
    char c = Peek();
    ++pos_;
    switch (c) {
      case 'a':
        out->push_back('\a');
        return Status::Ok();
      case 'b':
        out->push_back('\b');
        return Status::Ok();
      case 'f':
        out->push_back('\f');
        return Status::Ok();
      case 'n':
        out->push_back('\n');
        return Status::Ok();
      case 'r':
        out->push_back('\r');
        return Status::Ok();
      case 't':
        out->push_back('\t');
        return Status::Ok();
      case 'v':
        out->push_back('\v');
        return Status::Ok();
      case '\\':
        out->push_back('\\');
        return Status::Ok();
      case '\'':
      case '"':
        if (c != quote) break;
        out->push_back(c);
        return Status::Ok();
      case 'x':
      case 'u':
      case 'U': {
        size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        uint32_t value = 0;
        for (size_t i = 0; i < digits; ++i) {
          if (AtEnd() || HexValue(Peek()) < 0) {
            return Error(start, "escape \\" + std::string(1, c) + " needs " +
                                    std::to_string(digits) + " hex digits");
          }
          value = value * 16 + HexValue(Peek());
          ++pos_;
        }
        if (c == 'x') {
          out->push_back(static_cast<char>(value));
        } else if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
          return Error(start, "escape " + QuoteString(text_.substr(start, pos_ - start)) +
                                  " is not a valid Unicode code point");
        } else {
          AppendUtf8(out, value);
        }
        return Status::Ok();
      }
      default:
        if (c >= '0' && c <= '7') {
          uint32_t value = c - '0';
          for (int i = 0; i < 2; ++i) {
            if (AtEnd() || Peek() < '0' || Peek() > '7') {
              return Error(start, "octal escape needs 3 digits");
            }
            value = value * 8 + (Peek() - '0');
            ++pos_;
          }
          if (value > 255) return Error(start, "octal escape is above \\377");
          out->push_back(static_cast<char>(value));
          return Status::Ok();
        }
    }
    char32_t rune;
    size_t length = DecodeUtf8(text_.substr(pos_ - 1), &rune);
    return Error(
        start,
        "invalid escape sequence " +
            QuoteString("\\" + std::string(text_.substr(pos_ - 1, length == 0 ? 1 : length))) +
            " in a " + std::string(1, quote) + "-quoted string");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view LabelMatcherOpName(LabelMatcher::Op op) {
  switch (op) {
    case LabelMatcher::Op::kEqual:
      return "=";
    case LabelMatcher::Op::kNotEqual:
      return "!=";
    case LabelMatcher::Op::kRegex:
      return "=~";
    case LabelMatcher::Op::kNotRegex:
      return "!~";
  }
  return "?";
}

Result<LabelMatcher> LabelMatcher::Make(std::string name, Op op, std::string value) {
  LabelMatcher matcher;
  if (op == Op::kRegex || op == Op::kNotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kMaxRegexMemory);
    options.set_dot_nl(true);
    // Compiling the regex alone first rejects text that would escape the anchoring
    // group, such as "a)|(b", and gives RE2's error in the user's own terms.
    RE2 unanchored(value, options);
    if (!unanchored.ok()) {
      return InvalidArgument("invalid regex " + QuoteString(value, kQuoteInErrors) + ": " +
                             unanchored.error());
    }
    auto anchored = std::make_shared<const RE2>("^(?:" + value + ")$", options);
    if (!anchored->ok()) {
      return InvalidArgument("regex " + QuoteString(value, kQuoteInErrors) +
                             " cannot be anchored: " + anchored->error());
    }
    matcher.regex = std::move(anchored);
  }
  matcher.name = std::move(name);
  matcher.op = op;
  matcher.value = std::move(value);
  return matcher;
}

bool LabelMatcher::Matches(std::optional<std::string_view> label_value) const {
  std::string_view v = label_value.value_or(std::string_view());
  switch (op) {
    case Op::kEqual:
      return v == value;
    case Op::kNotEqual:
      return v != value;
    case Op::kRegex:
      return regex != nullptr && RE2::FullMatch(v, *regex);
    case Op::kNotRegex:
      return regex != nullptr && !RE2::FullMatch(v, *regex);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  return (IsBareLabelName(name) ? name : QuoteString(name)) + std::string(LabelMatcherOpName(op)) +
         QuoteString(value);
}

Result<Selector> Selector::Parse(std::string_view text) {
  if (text.size() > kMaxSelectorBytes) {
    return InvalidArgument("selector: " + std::to_string(text.size()) + " bytes; the limit is " +
                           std::to_string(kMaxSelectorBytes));
  }
  KPROF_ASSIGN_OR_RETURN(std::vector<LabelMatcher> matchers, SelectorParser(text).Parse());
  Selector selector;
  selector.matchers_ = std::move(matchers);
  return selector;
}

Selector Selector::FromLabels(const Labels& labels) {
  Selector selector;
  for (const Label& label : labels) {
    selector.matchers_.push_back(
        LabelMatcher{label.name, LabelMatcher::Op::kEqual, label.value, {}});
  }
  return selector;
}

bool Selector::Matches(const Labels& labels) const {
  for (const LabelMatcher& matcher : matchers_) {
    if (!matcher.Matches(labels.Get(matcher.name))) return false;
  }
  return true;
}

std::optional<std::string> Selector::EqualityValue(std::string_view name) const {
  for (const LabelMatcher& matcher : matchers_) {
    if (matcher.op == LabelMatcher::Op::kEqual && matcher.name == name && !matcher.value.empty()) {
      return matcher.value;
    }
  }
  return std::nullopt;
}

std::string Selector::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < matchers_.size(); ++i) {
    if (i > 0) out += ", ";
    out += matchers_[i].ToString();
  }
  out += "}";
  return out;
}

}  // namespace kprof::store

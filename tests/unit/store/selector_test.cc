#include "store/selector.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

namespace kprof::store {
namespace {

using Op = LabelMatcher::Op;

Labels MakeLabels(std::vector<Label> labels) {
  Result<Labels> result = Labels::Make(std::move(labels));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : Labels();
}

Selector ParseOrDie(std::string_view text) {
  Result<Selector> selector = Selector::Parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status().ToString();
  return selector.ok() ? *selector : Selector();
}

std::string ParseError(std::string_view text) {
  Result<Selector> selector = Selector::Parse(text);
  EXPECT_FALSE(selector.ok()) << text << " parsed as " << selector->ToString();
  if (selector.ok()) return "";
  EXPECT_EQ(selector.status().code(), StatusCode::kInvalidArgument);
  return selector.status().message();
}

bool Matches(std::string_view selector, const Labels& labels) {
  return ParseOrDie(selector).Matches(labels);
}

const Labels kProdApi = MakeLabels({{"service", "checkout"},
                                    {"namespace", "prod"},
                                    {"deployment", "api-server"},
                                    {"pod", "api-server-7d9f-x2"},
                                    {"zone", "eu-west-1a"}});

TEST(Selector, ParsesAllFourOperators) {
  Selector selector =
      ParseOrDie(R"({namespace="prod", deployment=~"api-.*", pod!="x", zone!~"us-.*"})");
  const auto& m = selector.matchers();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].name, "namespace");
  EXPECT_EQ(m[0].op, Op::kEqual);
  EXPECT_EQ(m[0].value, "prod");
  EXPECT_EQ(m[1].name, "deployment");
  EXPECT_EQ(m[1].op, Op::kRegex);
  EXPECT_EQ(m[1].value, "api-.*");
  ASSERT_NE(m[1].regex, nullptr);
  EXPECT_EQ(m[2].op, Op::kNotEqual);
  EXPECT_EQ(m[2].regex, nullptr);
  EXPECT_EQ(m[3].op, Op::kNotRegex);
  ASSERT_NE(m[3].regex, nullptr);
  EXPECT_TRUE(selector.Matches(kProdApi));
}

TEST(Selector, EmptySelectorsMatchEverything) {
  for (const char* text : {"", "{}", "  { }  ", "\n\t"}) {
    Selector selector = ParseOrDie(text);
    EXPECT_TRUE(selector.MatchesAll()) << text;
    EXPECT_TRUE(selector.Matches(kProdApi)) << text;
    EXPECT_TRUE(selector.Matches(Labels())) << text;
  }
  EXPECT_TRUE(Selector().Matches(kProdApi));
}

TEST(Selector, LeadingNameMeansService) {
  Selector selector = ParseOrDie(R"(checkout{namespace="prod"})");
  ASSERT_EQ(selector.matchers().size(), 2u);
  EXPECT_EQ(selector.matchers()[0].name, "service");
  EXPECT_EQ(selector.matchers()[0].op, Op::kEqual);
  EXPECT_EQ(selector.matchers()[0].value, "checkout");
  EXPECT_TRUE(selector.Matches(kProdApi));
  EXPECT_FALSE(Matches(R"(payments{namespace="prod"})", kProdApi));
}

TEST(Selector, LeadingNameAloneOrWithEmptyBraces) {
  EXPECT_TRUE(Matches("checkout", kProdApi));
  EXPECT_TRUE(Matches(" checkout {} ", kProdApi));
  EXPECT_FALSE(Matches("payments", kProdApi));
}

TEST(Selector, LeadingNameMayBeADnsNameOrHaveColons) {
  EXPECT_EQ(ParseOrDie("my-service.v2").matchers()[0].value, "my-service.v2");
  EXPECT_EQ(ParseOrDie("3scale{}").matchers()[0].value, "3scale");
  EXPECT_EQ(ParseOrDie("job:rule").matchers()[0].value, "job:rule");
}

TEST(Selector, AcceptsKubernetesStyleLabelNames) {
  Labels labels = MakeLabels({{"app.kubernetes.io/version", "1.2"}});
  EXPECT_TRUE(Matches(R"({app.kubernetes.io/version="1.2"})", labels));
  EXPECT_FALSE(Matches(R"({app.kubernetes.io/version="1.3"})", labels));
}

TEST(Selector, AcceptsQuotedLabelNamesLikePrometheus3) {
  Labels labels = MakeLabels({{"my key", "v"}, {"app.kubernetes.io/name", "api"}});
  EXPECT_TRUE(Matches(R"({"my key"="v"})", labels));
  EXPECT_TRUE(Matches(R"({'app.kubernetes.io/name'=~"a.*", `my key`!="w"})", labels));
  EXPECT_FALSE(Matches(R"({"my key"="w"})", labels));
  EXPECT_EQ(ParseOrDie(R"({"namespace"="prod"})").ToString(), R"({namespace="prod"})");
  EXPECT_EQ(ParseOrDie(R"({"my key"="v"})").ToString(), R"({"my key"="v"})");
  EXPECT_EQ(ParseError(R"({""="v"})"),
            "selector: at offset 1: a quoted label name must not be empty");
  EXPECT_EQ(ParseError(R"({"a)"),
            "selector: at offset 1: the string that starts here is not terminated");
}

TEST(Selector, WhitespaceAnywhereAndTrailingComma) {
  Selector selector = ParseOrDie(" checkout \n{ namespace = \"prod\" ,\tpod =~ 'api.*' , } ");
  ASSERT_EQ(selector.matchers().size(), 3u);
  EXPECT_TRUE(selector.Matches(kProdApi));
  EXPECT_EQ(ParseOrDie(R"({a="b",})").matchers().size(), 1u);
}

TEST(Selector, AllMatchersMustMatch) {
  EXPECT_TRUE(Matches(R"({namespace="prod", zone="eu-west-1a"})", kProdApi));
  EXPECT_FALSE(Matches(R"({namespace="prod", zone="us-east-1"})", kProdApi));
}

TEST(Selector, DuplicateLabelNamesAreAllowed) {
  EXPECT_TRUE(Matches(R"({pod=~"api-.*", pod!="api-server-1"})", kProdApi));
  EXPECT_FALSE(Matches(R"({pod=~"api-.*", pod!~".*x2"})", kProdApi));
}

TEST(Selector, AbsentLabelMatchesAsEmptyString) {
  Labels none;
  EXPECT_TRUE(Matches(R"({x!="a"})", none));
  EXPECT_TRUE(Matches(R"({x=""})", none));
  EXPECT_TRUE(Matches(R"({x=~".*"})", none));
  EXPECT_TRUE(Matches(R"({x=~"a?"})", none));
  EXPECT_TRUE(Matches(R"({x!~".+"})", none));
  EXPECT_FALSE(Matches(R"({x="a"})", none));
  EXPECT_FALSE(Matches(R"({x=~".+"})", none));
  EXPECT_FALSE(Matches(R"({x!=""})", none));
  EXPECT_FALSE(Matches(R"({x!~".*"})", none));
  // Present labels are not empty.
  EXPECT_FALSE(Matches(R"({zone=""})", kProdApi));
  EXPECT_TRUE(Matches(R"({zone!=""})", kProdApi));
}

TEST(LabelMatcher, MatchesTreatsNulloptAsEmpty) {
  Result<LabelMatcher> matcher = LabelMatcher::Make("x", Op::kNotEqual, "a");
  ASSERT_TRUE(matcher.ok());
  EXPECT_TRUE(matcher->Matches(std::nullopt));
  EXPECT_TRUE(matcher->Matches(""));
  EXPECT_TRUE(matcher->Matches("b"));
  EXPECT_FALSE(matcher->Matches("a"));
}

TEST(Selector, RegexesAreFullyAnchored) {
  Labels abc = MakeLabels({{"a", "abc"}});
  EXPECT_FALSE(Matches(R"({a=~"b"})", abc));
  EXPECT_FALSE(Matches(R"({a=~"ab"})", abc));
  EXPECT_FALSE(Matches(R"({a=~"bc"})", abc));
  EXPECT_TRUE(Matches(R"({a=~"abc"})", abc));
  EXPECT_TRUE(Matches(R"({a=~".*b.*"})", abc));
  EXPECT_TRUE(Matches(R"({a!~"b"})", abc));
  // Alternation stays inside the anchors: ^(?:x|abc)$, not ^x|abc$.
  EXPECT_TRUE(Matches(R"({a=~"x|abc"})", abc));
  EXPECT_FALSE(Matches(R"({a=~"x|ab"})", abc));
}

TEST(Selector, CompiledRegexIsAnchoredForAnyMatchFunction) {
  Selector selector = ParseOrDie(R"({a=~"b"})");
  const RE2& re = *selector.matchers()[0].regex;
  EXPECT_FALSE(RE2::PartialMatch("abc", re));
  EXPECT_TRUE(RE2::PartialMatch("b", re));
}

TEST(Selector, RegexCannotEscapeTheAnchoringGroup) {
  // Wrapped naively this would be ^(?:a)|(b)$, which matches "abc".
  EXPECT_EQ(ParseError(R"({a=~"a)|(b"})"),
            "selector: at offset 4: label \"a\": invalid regex \"a)|(b\": unexpected ): a)|(b");
}

TEST(Selector, RegexFlagsAndDotMatchesNewline) {
  EXPECT_TRUE(Matches(R"({a=~"(?i)ABC"})", MakeLabels({{"a", "abc"}})));
  Result<LabelMatcher> dot = LabelMatcher::Make("a", Op::kRegex, "a.b");
  ASSERT_TRUE(dot.ok());
  EXPECT_TRUE(dot->Matches("a\nb"));
}

TEST(Selector, RegexErrorsCarryRe2MessageAndOffset) {
  EXPECT_EQ(ParseError(R"({pod=~"a(b"})"),
            "selector: at offset 6: label \"pod\": invalid regex \"a(b\": missing ): a(b");
  std::string error = ParseError(R"({pod=~"*"})");
  EXPECT_NE(error.find("at offset 6"), std::string::npos) << error;
  EXPECT_NE(error.find("no argument for repetition operator"), std::string::npos) << error;
}

TEST(Selector, RegexMemoryIsBounded) {
  // Compiles with RE2's default 8 MiB budget, but not within kMaxRegexMemory.
  std::string error = ParseError(R"({a=~"\\pL{200}"})");
  EXPECT_NE(error.find("pattern too large"), std::string::npos) << error;
  RE2 unbounded("\\pL{200}");
  EXPECT_TRUE(unbounded.ok());
}

TEST(Selector, StringQuotingStyles) {
  EXPECT_EQ(ParseOrDie(R"({a="x"})").matchers()[0].value, "x");
  EXPECT_EQ(ParseOrDie(R"({a='x'})").matchers()[0].value, "x");
  EXPECT_EQ(ParseOrDie("{a=`x`}").matchers()[0].value, "x");
  EXPECT_EQ(ParseOrDie(R"({a=""})").matchers()[0].value, "");
  EXPECT_EQ(ParseOrDie(R"({a='say "hi"'})").matchers()[0].value, "say \"hi\"");
  EXPECT_EQ(ParseOrDie(R"({a="it's"})").matchers()[0].value, "it's");
}

TEST(Selector, GoEscapesInQuotedStrings) {
  EXPECT_EQ(ParseOrDie(R"({a="q\"b\\s"})").matchers()[0].value, "q\"b\\s");
  EXPECT_EQ(ParseOrDie(R"({a='it\'s'})").matchers()[0].value, "it's");
  EXPECT_EQ(ParseOrDie(R"({a="\n\t\r\a\b\f\v"})").matchers()[0].value, "\n\t\r\a\b\f\v");
  EXPECT_EQ(ParseOrDie(R"({a="\u00e9\u2713"})").matchers()[0].value, "\xc3\xa9\xe2\x9c\x93");
  EXPECT_EQ(ParseOrDie(R"({a="\U0001F600"})").matchers()[0].value, "\xf0\x9f\x98\x80");
  EXPECT_EQ(ParseOrDie(R"({a="\x41\101"})").matchers()[0].value, "AA");
  EXPECT_EQ(ParseOrDie("{a=\"h\xc3\xa9\"}").matchers()[0].value, "h\xc3\xa9");
}

TEST(Selector, RawStringsHaveNoEscapes) {
  EXPECT_EQ(ParseOrDie(R"({a=`\d+\.\n`})").matchers()[0].value, R"(\d+\.\n)");
  EXPECT_EQ(ParseOrDie("{a=`two\nlines`}").matchers()[0].value, "two\nlines");
  EXPECT_TRUE(Matches(R"({zone=~`eu-\w+-\d[a-z]`})", kProdApi));
}

TEST(Selector, EscapedRegexMetacharacters) {
  Labels dotted = MakeLabels({{"v", "1.2"}});
  EXPECT_TRUE(Matches(R"({v=~"1\\.2"})", dotted));
  EXPECT_FALSE(Matches(R"({v=~"1\\.2"})", MakeLabels({{"v", "1x2"}})));
}

TEST(Selector, RejectsInvalidEscapes) {
  EXPECT_EQ(ParseError(R"({a="\q"})"),
            "selector: at offset 4: invalid escape sequence \"\\\\q\" in a \"-quoted string");
  EXPECT_NE(ParseError(R"({a="\'"})").find("invalid escape sequence"), std::string::npos);
  EXPECT_NE(ParseError(R"({a='\"'})").find("invalid escape sequence"), std::string::npos);
  EXPECT_NE(ParseError(R"({a="\u12"})").find("needs 4 hex digits"), std::string::npos);
  EXPECT_NE(ParseError(R"({a="\xg0"})").find("needs 2 hex digits"), std::string::npos);
  EXPECT_NE(ParseError(R"({a="\ud800"})").find("not a valid Unicode code point"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({a="\U00110000"})").find("not a valid Unicode code point"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({a="\400"})").find("above \\377"), std::string::npos);
  EXPECT_NE(ParseError(R"({a="\12"})").find("needs 3 digits"), std::string::npos);
}

TEST(Selector, RejectsUnterminatedStringsAndNewlines) {
  EXPECT_EQ(ParseError(R"({a="abc)"),
            "selector: at offset 3: the string that starts here is not terminated");
  EXPECT_EQ(ParseError("{a=`abc"),
            "selector: at offset 3: the string that starts here is not terminated");
  EXPECT_EQ(ParseError(R"({a="abc\)"),
            "selector: at offset 7: the string ends inside an escape sequence");
  EXPECT_EQ(ParseError("{a=\"ab\nc\"}"),
            "selector: at offset 6: newline in a quoted string; write \\n, or use a `raw` string");
}

TEST(Selector, SyntaxErrorsPointAtTheOffset) {
  EXPECT_EQ(ParseError(R"({namespace="prod", pod})"),
            "selector: at offset 22: expected '=', '!=', '=~' or '!~' after label name \"pod\", "
            "found \"}\"");
  EXPECT_EQ(ParseError(R"({pod=="x"})"),
            "selector: at offset 5: expected a quoted string after '=' for label \"pod\", found "
            "\"=\"");
  EXPECT_EQ(ParseError(R"({pod=x})"),
            "selector: at offset 5: expected a quoted string after '=' for label \"pod\", found "
            "\"x\"");
  EXPECT_EQ(ParseError(R"({a="b" c="d"})"),
            "selector: at offset 7: expected ',' or '}' after the matcher for label \"a\", found "
            "\"c\"");
  EXPECT_EQ(ParseError(R"({a="b")"),
            "selector: at offset 6: expected ',' or '}' after the matcher for label \"a\", found "
            "the end of the selector");
  EXPECT_EQ(ParseError(R"({,})"),
            "selector: at offset 1: expected a label name or '}', found \",\"");
  EXPECT_EQ(ParseError(R"({a="b",,})"),
            "selector: at offset 7: expected a label name or '}', found \",\"");
  EXPECT_EQ(ParseError(R"({1a="b"})"),
            "selector: at offset 1: expected a label name or '}', found \"1\"");
  EXPECT_EQ(ParseError(R"({a="b"} x)"),
            "selector: at offset 8: expected the end of the selector after '}', found \"x\"");
  EXPECT_EQ(ParseError(R"(check out)"),
            "selector: at offset 6: expected '{' or the end after the service name, found \"o\"");
  EXPECT_EQ(ParseError(R"("quoted"{})"),
            "selector: at offset 0: expected a service name or '{', found \"\\\"\"");
  EXPECT_EQ(ParseError("{"),
            "selector: at offset 1: expected a label name or '}', found the end "
            "of the selector");
  EXPECT_EQ(ParseError("{a!\"b\"}"),
            "selector: at offset 2: expected '=', '!=', '=~' or '!~' after label name \"a\", found "
            "\"!\"");
  EXPECT_EQ(ParseError("{\xc3\xa9=\"b\"}"),
            "selector: at offset 1: expected a label name or '}', found \"\xc3\xa9\"");
}

TEST(Selector, RejectsTextLongerThanTheLimit) {
  std::string text = "{a=\"" + std::string(kMaxSelectorBytes, 'x') + "\"}";
  EXPECT_EQ(ParseError(text), "selector: 4102 bytes; the limit is 4096");
  std::string at_limit = "{a=\"" + std::string(kMaxSelectorBytes - 6, 'x') + "\"}";
  ASSERT_EQ(at_limit.size(), kMaxSelectorBytes);
  EXPECT_TRUE(Selector::Parse(at_limit).ok());
}

TEST(Selector, RejectsMoreThanTheMatcherLimit) {
  std::string text = "{";
  for (size_t i = 0; i < kMaxSelectorMatchers; ++i) text += "a" + std::to_string(i) + "=\"\",";
  EXPECT_EQ(ParseOrDie(text + "}").matchers().size(), kMaxSelectorMatchers);
  std::string error = ParseError(text + "one_more=\"\"}");
  EXPECT_EQ(error, "selector: at offset " + std::to_string(text.size()) +
                       ": more than 64 matchers (the limit)");
  // The leading service name counts too.
  EXPECT_NE(ParseError("svc" + text + "}").find("more than 64 matchers"), std::string::npos);
}

TEST(Selector, EqualityValueFindsAnEqualsMatcherForIndexLookups) {
  Selector selector =
      ParseOrDie(R"(checkout{namespace=~"prod", pod!="x", zone="", zone="eu", zone="us"})");
  EXPECT_EQ(selector.EqualityValue("service"), "checkout");
  EXPECT_EQ(selector.EqualityValue("namespace"), std::nullopt);  // a regex, not =
  EXPECT_EQ(selector.EqualityValue("pod"), std::nullopt);        // != is not =
  EXPECT_EQ(selector.EqualityValue("zone"), "eu");               // zone="" also matches absence
  EXPECT_EQ(selector.EqualityValue("missing"), std::nullopt);
  EXPECT_EQ(ParseOrDie(R"({x=""})").EqualityValue("x"), std::nullopt);
}

TEST(Selector, ToStringIsCanonicalAndParsesBack) {
  EXPECT_EQ(Selector().ToString(), "{}");
  EXPECT_EQ(ParseOrDie(" checkout { pod =~ 'api.*' , zone!=`eu`, } ").ToString(),
            R"({service="checkout", pod=~"api.*", zone!="eu"})");
  for (const char* text : {
           R"({a="q\"b\\s\n\t", b!~"\\d+", c=~"(?i)x|y"})",
           R"({a="h\u00e9", b!="\x00\x7f"})",
           "{a=`raw\\d`, b='it\\'s'}",
           "checkout",
           R"({"odd name\n"="x", "1st"!~"y"})",
       }) {
    Selector first = ParseOrDie(text);
    Selector second = ParseOrDie(first.ToString());
    ASSERT_EQ(first.matchers().size(), second.matchers().size()) << text;
    for (size_t i = 0; i < first.matchers().size(); ++i) {
      EXPECT_EQ(first.matchers()[i].name, second.matchers()[i].name);
      EXPECT_EQ(first.matchers()[i].op, second.matchers()[i].op);
      EXPECT_EQ(first.matchers()[i].value, second.matchers()[i].value) << text;
    }
    EXPECT_EQ(second.ToString(), first.ToString());
  }
}

TEST(Selector, FromLabelsRequiresEveryLabel) {
  Selector selector =
      Selector::FromLabels(MakeLabels({{"namespace", "prod"}, {"zone", "eu-west-1a"}}));
  EXPECT_EQ(selector.ToString(), R"({namespace="prod", zone="eu-west-1a"})");
  EXPECT_TRUE(selector.Matches(kProdApi));
  EXPECT_FALSE(selector.Matches(MakeLabels({{"namespace", "prod"}})));
  EXPECT_TRUE(Selector::FromLabels(Labels()).MatchesAll());
}

TEST(Selector, CopiesShareCompiledRegexes) {
  Selector selector = ParseOrDie(R"({a=~"x.*"})");
  Selector copy = selector;
  EXPECT_EQ(copy.matchers()[0].regex.get(), selector.matchers()[0].regex.get());
  EXPECT_TRUE(copy.Matches(MakeLabels({{"a", "xyz"}})));
}

TEST(LabelMatcher, MakeReportsRegexErrors) {
  Result<LabelMatcher> matcher = LabelMatcher::Make("a", Op::kNotRegex, "[z-a]");
  ASSERT_FALSE(matcher.ok());
  EXPECT_EQ(matcher.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(matcher.status().message().find("invalid regex \"[z-a]\": "), std::string::npos);
  // \Q without \E would swallow the closing anchor.
  Result<LabelMatcher> quoted = LabelMatcher::Make("a", Op::kRegex, "\\Qa.b");
  ASSERT_FALSE(quoted.ok());
  EXPECT_NE(quoted.status().message().find("cannot be anchored"), std::string::npos);
  EXPECT_TRUE(LabelMatcher::Make("a", Op::kRegex, "\\Qa.b\\E").ok());
}

TEST(LabelMatcher, ToStringAndOpNames) {
  EXPECT_EQ(LabelMatcherOpName(Op::kEqual), "=");
  EXPECT_EQ(LabelMatcherOpName(Op::kNotEqual), "!=");
  EXPECT_EQ(LabelMatcherOpName(Op::kRegex), "=~");
  EXPECT_EQ(LabelMatcherOpName(Op::kNotRegex), "!~");
  Result<LabelMatcher> matcher = LabelMatcher::Make("pod", Op::kNotRegex, "a\"b");
  ASSERT_TRUE(matcher.ok());
  EXPECT_EQ(matcher->ToString(), R"(pod!~"a\"b")");
}

}  // namespace
}  // namespace kprof::store

#include "store/labels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kprof::store {
namespace {

Labels MakeOrDie(std::vector<Label> labels) {
  Result<Labels> result = Labels::Make(std::move(labels));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : Labels();
}

TEST(Labels, MakeSortsByName) {
  Labels labels = MakeOrDie({{"zone", "a"}, {"app", "b"}, {"pod", "c"}});
  std::vector<std::string> names;
  for (const Label& label : labels) names.push_back(label.name);
  EXPECT_EQ(names, (std::vector<std::string>{"app", "pod", "zone"}));
  EXPECT_EQ(labels.size(), 3u);
  EXPECT_FALSE(labels.empty());
}

TEST(Labels, MakeRejectsDuplicateNames) {
  Result<Labels> result = Labels::Make({{"pod", "a"}, {"app", "x"}, {"pod", "b"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "label \"pod\" occurs more than once");
}

TEST(Labels, GetReturnsValueOrNullopt) {
  Labels labels = MakeOrDie({{"app", "api"}, {"empty", ""}});
  EXPECT_EQ(labels.Get("app"), "api");
  ASSERT_TRUE(labels.Get("empty").has_value());
  EXPECT_EQ(*labels.Get("empty"), "");
  EXPECT_FALSE(labels.Get("missing").has_value());
  EXPECT_FALSE(Labels().Get("app").has_value());
}

TEST(Labels, SetInsertsInOrderAndReplaces) {
  Labels labels;
  labels.Set("b", "1");
  labels.Set("a", "2");
  labels.Set("c", "3");
  labels.Set("b", "4");
  EXPECT_EQ(labels, MakeOrDie({{"a", "2"}, {"b", "4"}, {"c", "3"}}));
}

TEST(Labels, RemoveReportsWhetherItRemoved) {
  Labels labels = MakeOrDie({{"a", "1"}, {"b", "2"}});
  EXPECT_TRUE(labels.Remove("a"));
  EXPECT_FALSE(labels.Remove("a"));
  EXPECT_FALSE(labels.Remove("zzz"));
  EXPECT_EQ(labels, MakeOrDie({{"b", "2"}}));
}

TEST(Labels, EqualityIgnoresConstructionOrder) {
  EXPECT_EQ(MakeOrDie({{"a", "1"}, {"b", "2"}}), MakeOrDie({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(MakeOrDie({{"a", "1"}}), MakeOrDie({{"a", "2"}}));
  EXPECT_NE(MakeOrDie({{"a", "1"}}), MakeOrDie({{"a", "1"}, {"b", "1"}}));
}

TEST(Labels, ToStringIsPrometheusForm) {
  EXPECT_EQ(Labels().ToString(), "{}");
  EXPECT_EQ(MakeOrDie({{"b", "y"}, {"a", "x"}}).ToString(), "{a=\"x\", b=\"y\"}");
}

TEST(Labels, ToStringEscapesQuoteBackslashAndNewline) {
  EXPECT_EQ(MakeOrDie({{"a", "say \"hi\"\\\n\tend"}}).ToString(),
            "{a=\"say \\\"hi\\\"\\\\\\n\tend\"}");
}

TEST(Labels, HashIsFnv1aOverNameAndValueWithNulTerminators) {
  // Golden values: the hash may be persisted, so it must never change.
  EXPECT_EQ(Labels().Hash(), 0xcbf29ce484222325ULL);
  EXPECT_EQ(MakeOrDie({{"a", "x"}}).Hash(), 0xab8b9b820d8005fcULL);
  EXPECT_EQ(MakeOrDie({{"service", "checkout"}, {"namespace", "prod"}}).Hash(),
            0xbbd072ab91ef44d6ULL);
}

TEST(Labels, HashSeparatesNameFromValue) {
  EXPECT_NE(MakeOrDie({{"ab", "c"}}).Hash(), MakeOrDie({{"a", "bc"}}).Hash());
  EXPECT_NE(MakeOrDie({{"a", ""}, {"b", ""}}).Hash(), MakeOrDie({{"a", "b"}}).Hash());
}

TEST(Labels, EncodeDecodeRoundTrips) {
  std::vector<Labels> cases = {
      Labels(),
      MakeOrDie({{"a", ""}}),
      MakeOrDie({{"service", "checkout"}, {"namespace", "prod"}, {"pod", "api-7d9f-x2"}}),
      MakeOrDie({{"long", std::string(300, 'v')}, {"utf8", "h\xc3\xa9llo \xe2\x9c\x93"}}),
  };
  for (const Labels& labels : cases) {
    Result<Labels> decoded = Labels::Decode(labels.Encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, labels);
  }
}

TEST(Labels, EncodeIsCompactVarintLengths) {
  EXPECT_EQ(Labels().Encode(), std::string(1, '\0'));
  EXPECT_EQ(MakeOrDie({{"a", "xy"}}).Encode(), std::string("\x01\x01"
                                                           "a\x02xy",
                                                           6));
  // A 300-byte value takes a two-byte length: 300 = 0b10_0101100.
  std::string encoded = MakeOrDie({{"a", std::string(300, 'v')}}).Encode();
  EXPECT_EQ(encoded.substr(0, 5), std::string("\x01\x01"
                                              "a\xac\x02",
                                              5));
  EXPECT_EQ(encoded.size(), 5u + 300u);
}

TEST(Labels, EncodeToAppends) {
  std::string out = "prefix";
  MakeOrDie({{"a", "b"}}).EncodeTo(&out);
  EXPECT_EQ(out, std::string("prefix\x01\x01"
                             "a\x01"
                             "b",
                             11));
}

TEST(Labels, DecodeRejectsTruncatedInput) {
  std::string encoded = MakeOrDie({{"app", "api"}, {"zone", "eu"}}).Encode();
  for (size_t n = 0; n < encoded.size(); ++n) {
    Result<Labels> decoded = Labels::Decode(encoded.substr(0, n));
    ASSERT_FALSE(decoded.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Labels, DecodeRejectsTrailingBytes) {
  Result<Labels> decoded = Labels::Decode(MakeOrDie({{"a", "b"}}).Encode() + "x");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "label set: 1 unexpected bytes after the last label");
}

TEST(Labels, DecodeRejectsUnsortedOrDuplicateNames) {
  std::string unsorted(
      "\x02\x01"
      "b\x00\x01"
      "a\x00",
      7);
  Result<Labels> decoded = Labels::Decode(unsorted);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("must be sorted and unique"), std::string::npos);
  std::string duplicate(
      "\x02\x01"
      "a\x00\x01"
      "a\x00",
      7);
  EXPECT_FALSE(Labels::Decode(duplicate).ok());
}

TEST(Labels, DecodeRejectsHugeCountsAndLengthsWithoutAllocating) {
  // A count of 2^63 would be a huge allocation if it were trusted.
  std::string huge_count("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
  Result<Labels> decoded = Labels::Decode(huge_count);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("does not fit"), std::string::npos);
  // A name length far past the end of the input.
  EXPECT_FALSE(Labels::Decode(std::string("\x01\xff\xff\xff\xff\x0f"
                                          "abc",
                                          9))
                   .ok());
  // A varint longer than 64 bits.
  EXPECT_FALSE(Labels::Decode(std::string(11, '\xff')).ok());
  EXPECT_FALSE(Labels::Decode("").ok());
}

TEST(Labels, DecodeAcceptsOnlyCanonicalEncodings) {
  // 0x80 0x00 is a two-byte zero: decodable in protobuf, but then two byte strings would
  // stand for one label set.
  EXPECT_TRUE(Labels::Decode(std::string("\x01\x01"
                                         "a\x00",
                                         4))
                  .ok());
  EXPECT_FALSE(Labels::Decode(std::string("\x01\x01"
                                          "a\x80\x00",
                                          5))
                   .ok());
  EXPECT_FALSE(Labels::Decode(std::string("\x80\x00", 2)).ok());
}

TEST(ValidateLabel, AcceptsPrometheusAndKubernetesNames) {
  for (const char* name : {"a", "_x", "app", "Zone_2", "app.kubernetes.io/version",
                           "pod-template-hash", "topology.kubernetes.io/zone"}) {
    EXPECT_TRUE(ValidateLabel(name, "v").ok()) << name;
  }
}

TEST(ValidateLabel, RejectsBadNames) {
  for (const char* name :
       {"", "1abc", "-a", ".a", "/a", "a b", "a=b", "a,b", "a:b", "a\"", "\xc3\xa9t\xc3\xa9"}) {
    Status status = ValidateLabel(name, "v");
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(ValidateLabel("", "v").message(), "label name is empty");
  EXPECT_EQ(ValidateLabel("a b", "v").message(),
            "label name \"a b\" has \" \" at byte 1; names match [a-zA-Z_][a-zA-Z0-9_./-]*");
}

TEST(ValidateLabel, EnforcesNameAndValueLengthLimits) {
  EXPECT_TRUE(ValidateLabel(std::string(128, 'n'), std::string(1024, 'v')).ok());
  Status long_name = ValidateLabel(std::string(129, 'n'), "v");
  EXPECT_EQ(long_name.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(long_name.message().find("is 129 bytes; the limit is 128"), std::string::npos);
  // Long input is echoed truncated, not whole.
  EXPECT_LT(long_name.message().size(), 129u);
  Status long_value = ValidateLabel("n", std::string(1025, 'v'));
  EXPECT_EQ(long_value.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(long_value.message().find("value is 1025 bytes; the limit is 1024"), std::string::npos);

  LabelLimits tight{.max_name_bytes = 3, .max_value_bytes = 2, .max_labels = 1};
  EXPECT_TRUE(ValidateLabel("abc", "xy", tight).ok());
  EXPECT_FALSE(ValidateLabel("abcd", "xy", tight).ok());
  EXPECT_FALSE(ValidateLabel("abc", "xyz", tight).ok());
}

TEST(ValidateLabel, AcceptsUtf8TabsAndEmptyValues) {
  EXPECT_TRUE(ValidateLabel("v", "").ok());
  EXPECT_TRUE(ValidateLabel("v", "a\tb").ok());
  EXPECT_TRUE(ValidateLabel("v", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80").ok());
  EXPECT_TRUE(ValidateLabel("v", "\xef\xbf\xbf").ok());  // U+FFFF is a valid scalar
}

TEST(ValidateLabel, RejectsInvalidUtf8) {
  for (std::string value : {std::string("\xff"), std::string("ab\xc3"),  // truncated
                            std::string("\xc0\xaf"),                     // overlong '/'
                            std::string("\xed\xa0\x80"),                 // surrogate U+D800
                            std::string("\xf4\x90\x80\x80"),             // above U+10FFFF
                            std::string("\x80")}) {
    Status status = ValidateLabel("v", value);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << QuoteString(value);
    EXPECT_NE(status.message().find("not valid UTF-8"), std::string::npos) << status.message();
  }
}

TEST(ValidateLabel, RejectsControlCharactersOtherThanTab) {
  for (std::string value :
       {std::string("a\nb"), std::string("\r"), std::string(1, '\0'), std::string("\x7f"),
        std::string("\x1b[31m"), std::string("\xc2\x85")}) {  // U+0085, a C1 control
    Status status = ValidateLabel("v", value);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << QuoteString(value);
    EXPECT_NE(status.message().find("control character"), std::string::npos) << status.message();
  }
  EXPECT_EQ(ValidateLabel("v", "ab\ncd").message(),
            "label \"v\": value \"ab\\ncd\" has a control character at byte 2");
}

TEST(ValidateLabels, EnforcesTheLabelCount) {
  Labels labels;
  for (int i = 0; i < 64; ++i) labels.Set("l" + std::to_string(i), "v");
  EXPECT_TRUE(ValidateLabels(labels).ok());
  labels.Set("one_more", "v");
  Status status = ValidateLabels(labels);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "65 labels; the limit is 64");
}

TEST(ValidateLabels, ChecksEveryLabel) {
  EXPECT_FALSE(ValidateLabels(MakeOrDie({{"ok", "v"}, {"bad name", "v"}})).ok());
  EXPECT_TRUE(ValidateLabels(Labels()).ok());
}

TEST(ParseProfefeLabels, EmptyTextIsEmptySet) {
  Result<Labels> labels = ParseProfefeLabels("");
  ASSERT_TRUE(labels.ok());
  EXPECT_TRUE(labels->empty());
}

TEST(ParseProfefeLabels, ParsesPairsIntoASortedSet) {
  Result<Labels> labels = ParseProfefeLabels("region=europe-west3,dc=fra,ip=1.2.3.4,version=1.0");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(
      *labels,
      MakeOrDie(
          {{"dc", "fra"}, {"ip", "1.2.3.4"}, {"region", "europe-west3"}, {"version", "1.0"}}));
}

TEST(ParseProfefeLabels, AcceptsKubeProfefeLeadingCommaAndEmptyItems) {
  // kube-profefe builds its parameter as "," + k + "=" + v for each label.
  Result<Labels> labels = ParseProfefeLabels(",namespace=prod,pod=api-1,from=kube-profefe");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(*labels,
            MakeOrDie({{"namespace", "prod"}, {"pod", "api-1"}, {"from", "kube-profefe"}}));
  Result<Labels> sparse = ParseProfefeLabels("a=1,,b=2,");
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  EXPECT_EQ(*sparse, MakeOrDie({{"a", "1"}, {"b", "2"}}));
}

TEST(ParseProfefeLabels, SplitsAtTheFirstEqualsSign) {
  Result<Labels> labels = ParseProfefeLabels("alabel=val=val,empty=");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(*labels, MakeOrDie({{"alabel", "val=val"}, {"empty", ""}}));
}

TEST(ParseProfefeLabels, TrimsWhitespaceAroundKeysAndValuesLikeProfefe) {
  Result<Labels> labels = ParseProfefeLabels(" a = 1 , b=two words ");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(*labels, MakeOrDie({{"a", "1"}, {"b", "two words"}}));
}

TEST(ParseProfefeLabels, UrlDecodesEachKeyAndValueLikeProfefe) {
  // profefe's agent QueryEscapes each key and value before escaping the whole parameter.
  Result<Labels> labels = ParseProfefeLabels("version=1.2+beta,path=%2Fapi%2Cv1,eq=a%3Db");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(*labels, MakeOrDie({{"version", "1.2 beta"}, {"path", "/api,v1"}, {"eq", "a=b"}}));
}

TEST(ParseProfefeLabels, RejectsBadUrlEscapes) {
  for (const char* text : {"cpu=50%", "a=%zz", "a=%4"}) {
    Result<Labels> labels = ParseProfefeLabels(text);
    ASSERT_FALSE(labels.ok()) << text;
    EXPECT_NE(labels.status().message().find("invalid URL escape"), std::string::npos)
        << labels.status().message();
  }
  EXPECT_EQ(ParseProfefeLabels("cpu=50%").status().message(),
            "labels: item \"cpu=50%\" has an invalid URL escape \"%\"; write a literal '%' as %25");
}

TEST(ParseProfefeLabels, RejectsItemWithoutEquals) {
  Result<Labels> labels = ParseProfefeLabels("a=1,foo");
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(labels.status().message(),
            "labels: item \"foo\" has no '='; write key=value,key2=value2");
}

TEST(ParseProfefeLabels, RejectsEmptyKey) {
  for (const char* text : {"=value", " =value", "a=1,=2"}) {
    Result<Labels> labels = ParseProfefeLabels(text);
    ASSERT_FALSE(labels.ok()) << text;
    EXPECT_NE(labels.status().message().find("has an empty key"), std::string::npos);
  }
}

TEST(ParseProfefeLabels, RejectsDuplicateKeys) {
  Result<Labels> labels = ParseProfefeLabels("pod=a,zone=x,pod=b");
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().message(), "labels: label \"pod\" occurs more than once");
}

TEST(ParseProfefeLabels, ValidatesNamesValuesAndCount) {
  Result<Labels> bad_name = ParseProfefeLabels("my key=v");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().message(),
            "labels: label name \"my key\" has \" \" at byte 2; names match "
            "[a-zA-Z_][a-zA-Z0-9_./-]*");
  EXPECT_FALSE(ParseProfefeLabels("a=%0A").ok());  // a newline after decoding
  EXPECT_FALSE(ParseProfefeLabels("a=" + std::string(1025, 'v')).ok());

  std::string many;
  for (int i = 0; i < 65; ++i) many += "l" + std::to_string(i) + "=v,";
  Result<Labels> too_many = ParseProfefeLabels(many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().message(), "labels: more than 64 labels (the limit)");
  LabelLimits limits;
  limits.max_labels = 100;
  EXPECT_TRUE(ParseProfefeLabels(many, limits).ok());
}

TEST(FormatProfefeLabels, WritesSortedPairs) {
  EXPECT_EQ(FormatProfefeLabels(Labels()), "");
  EXPECT_EQ(FormatProfefeLabels(MakeOrDie({{"zone", "eu"}, {"app", "api"}})), "app=api,zone=eu");
}

TEST(FormatProfefeLabels, RoundTripsThroughParseIncludingSeparators) {
  Labels labels = MakeOrDie({{"a", "x,y=z"},
                             {"b", " spaced + plus % "},
                             {"c", ""},
                             {"app.kubernetes.io/name", "h\xc3\xa9llo"}});
  std::string text = FormatProfefeLabels(labels);
  EXPECT_EQ(text.find(' '), std::string::npos) << text;
  Result<Labels> parsed = ParseProfefeLabels(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, labels);
}

TEST(QuoteString, EscapesLikeGoStrconvQuote) {
  EXPECT_EQ(QuoteString(""), "\"\"");
  EXPECT_EQ(QuoteString("plain"), "\"plain\"");
  EXPECT_EQ(QuoteString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteString("\n\t\r\a\b\f\v"), "\"\\n\\t\\r\\a\\b\\f\\v\"");
  EXPECT_EQ(QuoteString(std::string("\x00\x1b\x7f", 3)), "\"\\x00\\x1B\\x7F\"");
  EXPECT_EQ(QuoteString("\xc2\x85"), "\"\\u0085\"");
  EXPECT_EQ(QuoteString("h\xc3\xa9"), "\"h\xc3\xa9\"");
  EXPECT_EQ(QuoteString("\xff"), "\"\\xFF\"");
}

TEST(QuoteString, TruncatesWithoutSplittingCharacters) {
  EXPECT_EQ(QuoteString("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(QuoteString("abc", 3), "\"abc\"");
  // "é" is two bytes; a cut after its first byte backs off to before it.
  EXPECT_EQ(QuoteString("ab\xc3\xa9", 3), "\"ab\"...");
}

}  // namespace
}  // namespace kprof::store

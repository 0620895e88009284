// The decoder on malformed input. Every bad input here is made by mutating a real Go
// profile (truncation, wrong wire types, edits through libprotobuf) or by standard
// tools (zlib), never by hand-written pprof bytes, so that the surrounding bytes are
// what a decoder meets in practice.

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pprof/decode.h"
#include "pprof/encode.h"
#include "profile_matchers.h"
#include "proto/profile.pb.h"
#include "real_profiles.h"

namespace kprof::pprof {
namespace {

namespace pb = ::perftools::profiles;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using testutil::ExpectProfilesEqual;

class DecodeMutatedProfile : public testutil::RealProfilesTest {};

Status DecodeStatus(std::string_view data, const DecodeLimits& limits = {}) {
  Decoder decoder(limits);
  Profile p;
  return decoder.Decode(data, &p);
}

pb::Profile ParseProto(const std::string& raw) {
  pb::Profile m;
  EXPECT_TRUE(m.ParseFromString(raw));
  return m;
}

// Checks one truncated input: it must be rejected as malformed unless it happens to be
// a complete, valid profile (a prefix ending after the string table, say), in which
// case libprotobuf must read it too and kprof must have read it the same way.
void CheckTruncated(const std::string& prefix, bool gzipped) {
  Decoder decoder;
  Profile p;
  Status s = decoder.Decode(prefix, &p);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_FALSE(s.message().empty());
    return;
  }
  ASSERT_FALSE(gzipped) << "a truncated gzip stream decoded";
  pb::Profile m;
  ASSERT_TRUE(m.ParseFromString(prefix)) << "kprof accepted bytes libprotobuf rejects";
  pb::Profile reencoded;
  ASSERT_TRUE(reencoded.ParseFromString(EncodeProfile(p)));
  EXPECT_TRUE(MessageDifferencer::Equals(m, reencoded));
}

TEST_F(DecodeMutatedProfile, TruncationsAreRejected) {
  constexpr size_t kEveryPrefixUpTo = 4096;
  constexpr int kRandomCuts = 200;
  std::mt19937 rng(20240601);
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    for (const auto& [bytes, gzipped] : {std::pair{&file.raw, false}, std::pair{&file.gz, true}}) {
      std::vector<size_t> cuts;
      for (size_t n = 0; n < std::min(bytes->size(), kEveryPrefixUpTo); ++n) cuts.push_back(n);
      std::uniform_int_distribution<size_t> any_cut(0, bytes->size() - 1);
      for (int i = 0; i < kRandomCuts; ++i) cuts.push_back(any_cut(rng));
      for (size_t n : cuts) {
        SCOPED_TRACE((gzipped ? "gzip prefix " : "raw prefix ") + std::to_string(n));
        CheckTruncated(bytes->substr(0, n), gzipped);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

TEST_F(DecodeMutatedProfile, RandomByteFlipsNeverCrash) {
  // Not a substitute for the fuzzer (fuzz/decode_fuzzer.cc); a quick deterministic
  // smoke test that runs in every unit-test build, including sanitizer builds.
  std::mt19937 rng(7);
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    std::uniform_int_distribution<size_t> offset(0, file.raw.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 500; ++i) {
      std::string mutated = file.raw;
      for (int k = 0; k < 1 + i % 4; ++k) mutated[offset(rng)] = static_cast<char>(byte(rng));
      Profile p;
      Decoder decoder;
      Status s = decoder.Decode(mutated, &p);
      if (!s.ok()) {
        EXPECT_NE(s.code(), StatusCode::kInternal) << s.ToString();
        continue;
      }
      Profile again;
      ASSERT_TRUE(decoder.Decode(EncodeProfile(p), &again).ok());
      ExpectProfilesEqual(p, again);
    }
  }
}

// Where a known field's key sits in the wire bytes.
struct KeySite {
  size_t offset;  // of the key's first byte
  const google::protobuf::FieldDescriptor* field;
  int wire_type;
};

// Lists the keys of fields that profile.proto defines in `bytes`, descending into
// submessages. `base` is the offset of `bytes` in the whole profile.
void ListKnownKeys(std::string_view bytes, size_t base, const google::protobuf::Descriptor* type,
                   std::vector<KeySite>* out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  for (;;) {
    size_t offset = in.CurrentPosition();
    uint32_t tag = in.ReadTag();
    if (tag == 0) return;
    int number = static_cast<int>(tag >> 3);
    int wire_type = static_cast<int>(tag & 7);
    const auto* field = type->FindFieldByNumber(number);
    if (field != nullptr) out->push_back({base + offset, field, wire_type});
    if (wire_type == 2) {
      uint32_t length = 0;
      ASSERT_TRUE(in.ReadVarint32(&length));
      size_t start = in.CurrentPosition();
      ASSERT_TRUE(in.Skip(static_cast<int>(length)));
      if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
        ListKnownKeys(bytes.substr(start, length), base + start, field->message_type(), out);
      }
    } else {
      ASSERT_TRUE(google::protobuf::internal::WireFormatLite::SkipField(&in, tag));
    }
  }
}

bool WireTypeIsValidFor(const google::protobuf::FieldDescriptor* field, int wire_type) {
  using FD = google::protobuf::FieldDescriptor;
  if (field->type() == FD::TYPE_MESSAGE || field->type() == FD::TYPE_STRING) return wire_type == 2;
  return wire_type == 0 || (field->is_repeated() && wire_type == 2);
}

TEST_F(DecodeMutatedProfile, WrongWireTypesOfKnownFieldsAreRejected) {
  constexpr int kSitesPerField = 3;
  std::set<std::string> fields_tested;
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    std::vector<KeySite> sites;
    ListKnownKeys(file.raw, 0, pb::Profile::descriptor(), &sites);
    ASSERT_FALSE(HasFatalFailure());
    std::map<const google::protobuf::FieldDescriptor*, int> seen;
    for (const KeySite& site : sites) {
      if (seen[site.field]++ >= kSitesPerField) continue;
      // Fields 1..15 have one-byte keys: the wire type is the low 3 bits of that byte.
      ASSERT_LT(site.field->number(), 16);
      for (int wire_type = 0; wire_type < 8; ++wire_type) {
        if (WireTypeIsValidFor(site.field, wire_type)) continue;
        std::string mutated = file.raw;
        mutated[site.offset] = static_cast<char>((site.field->number() << 3) | wire_type);
        SCOPED_TRACE(site.field->full_name() + " at byte " + std::to_string(site.offset) +
                     " as wire type " + std::to_string(wire_type));
        Status s = DecodeStatus(mutated);
        ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
        EXPECT_THAT(s.message(), ::testing::ContainsRegex("wire type|not a message|not length"));
        fields_tested.insert(site.field->full_name());
      }
    }
  }
  // Every field Go writes was exercised (columns, is_folded and the like never appear).
  for (const char* name :
       {"perftools.profiles.Profile.sample_type", "perftools.profiles.Profile.sample",
        "perftools.profiles.Profile.location", "perftools.profiles.Profile.function",
        "perftools.profiles.Profile.string_table", "perftools.profiles.Profile.period_type",
        "perftools.profiles.Sample.location_id", "perftools.profiles.Sample.value",
        "perftools.profiles.Location.line", "perftools.profiles.Line.function_id",
        "perftools.profiles.Function.name", "perftools.profiles.ValueType.type"}) {
    EXPECT_TRUE(fields_tested.count(name)) << name << " was not found in any profile";
  }
}

// An edit that makes a real profile invalid, and a phrase the error must contain.
struct BadEdit {
  const char* name;
  std::function<bool(pb::Profile&)> apply;  // false when the profile lacks what it edits
  const char* expected_message;
};

std::vector<BadEdit> BadEdits() {
  auto past_end = [](const pb::Profile& m) { return static_cast<int64_t>(m.string_table_size()); };
  return {
      {"sample_type.type past the string table",
       [=](pb::Profile& m) {
         if (m.sample_type_size() == 0) return false;
         m.mutable_sample_type(0)->set_type(past_end(m));
         return true;
       },
       "string index"},
      {"sample_type.unit negative",
       [](pb::Profile& m) {
         if (m.sample_type_size() == 0) return false;
         m.mutable_sample_type(0)->set_unit(-1);
         return true;
       },
       "string index"},
      {"period_type.unit past the string table",
       [=](pb::Profile& m) {
         m.mutable_period_type()->set_unit(past_end(m) + 1000);
         return true;
       },
       "string index"},
      {"label key past the string table",
       [=](pb::Profile& m) {
         for (auto& s : *m.mutable_sample()) {
           if (s.label_size() > 0) {
             s.mutable_label(0)->set_key(past_end(m));
             return true;
           }
         }
         return false;
       },
       "string index"},
      {"label str past the string table",
       [=](pb::Profile& m) {
         if (m.sample_size() == 0) return false;
         m.mutable_sample(0)->add_label()->set_str(past_end(m));
         return true;
       },
       "string index"},
      {"label num_unit past the string table",
       [=](pb::Profile& m) {
         if (m.sample_size() == 0) return false;
         m.mutable_sample(m.sample_size() - 1)->add_label()->set_num_unit(INT64_MAX);
         return true;
       },
       "string index"},
      {"mapping filename past the string table",
       [=](pb::Profile& m) {
         if (m.mapping_size() == 0) return false;
         m.mutable_mapping(0)->set_filename(past_end(m));
         return true;
       },
       "string index"},
      {"mapping build_id past the string table",
       [=](pb::Profile& m) {
         if (m.mapping_size() == 0) return false;
         m.mutable_mapping(m.mapping_size() - 1)->set_build_id(past_end(m));
         return true;
       },
       "string index"},
      {"function name past the string table",
       [=](pb::Profile& m) {
         if (m.function_size() == 0) return false;
         m.mutable_function(m.function_size() - 1)->set_name(past_end(m));
         return true;
       },
       "string index"},
      {"function system_name negative",
       [](pb::Profile& m) {
         if (m.function_size() == 0) return false;
         m.mutable_function(0)->set_system_name(INT64_MIN);
         return true;
       },
       "string index"},
      {"function filename past the string table",
       [=](pb::Profile& m) {
         if (m.function_size() == 0) return false;
         m.mutable_function(0)->set_filename(past_end(m));
         return true;
       },
       "string index"},
      {"drop_frames past the string table",
       [=](pb::Profile& m) {
         m.set_drop_frames(past_end(m));
         return true;
       },
       "string index"},
      {"keep_frames past the string table",
       [=](pb::Profile& m) {
         m.set_keep_frames(past_end(m));
         return true;
       },
       "string index"},
      {"comment past the string table",
       [=](pb::Profile& m) {
         m.add_comment(past_end(m));
         return true;
       },
       "string index"},
      {"default_sample_type past the string table",
       [=](pb::Profile& m) {
         m.set_default_sample_type(past_end(m));
         return true;
       },
       "string index"},
      {"doc_url past the string table",
       [=](pb::Profile& m) {
         m.set_doc_url(past_end(m));
         return true;
       },
       "string index"},
      {"string table without the leading empty string",
       [](pb::Profile& m) {
         m.set_string_table(0, "not empty");
         return true;
       },
       "empty string"},
      {"no string table",
       [](pb::Profile& m) {
         m.clear_string_table();
         return true;
       },
       "empty string"},
      {"sample references a missing location",
       [](pb::Profile& m) {
         if (m.sample_size() == 0) return false;
         m.mutable_sample(0)->add_location_id(987654321);
         return true;
       },
       "location id 987654321"},
      {"sample references location id 0",
       [](pb::Profile& m) {
         if (m.sample_size() == 0 || m.sample(0).location_id_size() == 0) return false;
         m.mutable_sample(0)->set_location_id(0, 0);
         return true;
       },
       "location id 0"},
      {"location references a missing mapping",
       [](pb::Profile& m) {
         if (m.location_size() == 0) return false;
         m.mutable_location(0)->set_mapping_id(UINT64_MAX);
         return true;
       },
       "mapping id 18446744073709551615"},
      {"line references a missing function",
       [](pb::Profile& m) {
         for (auto& loc : *m.mutable_location()) {
           if (loc.line_size() > 0) {
             loc.mutable_line(0)->set_function_id(424242);
             return true;
           }
         }
         return false;
       },
       "function id 424242"},
      {"two locations with one id",
       [](pb::Profile& m) {
         if (m.location_size() < 2) return false;
         m.mutable_location(1)->set_id(m.location(0).id());
         return true;
       },
       "appears more than once"},
      {"two functions with one id",
       [](pb::Profile& m) {
         if (m.function_size() < 2) return false;
         m.mutable_function(m.function_size() - 1)->set_id(m.function(0).id());
         return true;
       },
       "appears more than once"},
      {"two mappings with one id",
       [](pb::Profile& m) {
         if (m.mapping_size() < 2) return false;
         m.mutable_mapping(1)->set_id(m.mapping(0).id());
         return true;
       },
       "appears more than once"},
      {"location with id 0",
       [](pb::Profile& m) {
         if (m.location_size() == 0) return false;
         m.mutable_location(m.location_size() - 1)->set_id(0);
         return true;
       },
       "id 0"},
      {"function with id 0",
       [](pb::Profile& m) {
         if (m.function_size() == 0) return false;
         m.mutable_function(0)->set_id(0);
         return true;
       },
       "id 0"},
      {"sample with one value too many",
       [](pb::Profile& m) {
         if (m.sample_size() == 0) return false;
         m.mutable_sample(0)->add_value(1);
         return true;
       },
       "values but the profile has"},
      {"sample with no values",
       [](pb::Profile& m) {
         if (m.sample_size() == 0) return false;
         m.mutable_sample(m.sample_size() - 1)->clear_value();
         return true;
       },
       "has 0 values"},
  };
}

TEST_F(DecodeMutatedProfile, OutOfRangeReferencesAreRejected) {
  for (const BadEdit& edit : BadEdits()) {
    SCOPED_TRACE(edit.name);
    int applied = 0;
    for (const auto& file : profiles_) {
      SCOPED_TRACE(file.name);
      pb::Profile m = ParseProto(file.raw);
      if (!edit.apply(m)) continue;
      ++applied;
      Status s = DecodeStatus(m.SerializeAsString());
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
      EXPECT_THAT(s.message(), HasSubstr(edit.expected_message));
    }
    EXPECT_GT(applied, 0) << "no test profile has what this edit needs";
  }
}

TEST_F(DecodeMutatedProfile, LimitsHoldAtTheirBoundary) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    Profile p;
    ASSERT_TRUE(Decoder().Decode(file.gz, &p).ok());
    uint32_t deepest = 0, most_labels = 0, most_lines = 0;
    for (const Sample& s : p.samples) {
      deepest = std::max(deepest, s.location_count);
      most_labels = std::max(most_labels, s.label_count);
    }
    for (const Location& l : p.locations) most_lines = std::max(most_lines, l.line_count);

    // Each limit, set to exactly what the profile needs, passes; one less fails.
    auto check = [&](const char* what, std::function<void(DecodeLimits&, int)> set,
                     bool reachable) {
      SCOPED_TRACE(what);
      DecodeLimits limits;
      set(limits, 0);
      for (const std::string* bytes : {&file.raw, &file.gz}) {
        Status s = DecodeStatus(*bytes, limits);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
      if (!reachable) return;
      set(limits, -1);
      for (const std::string* bytes : {&file.raw, &file.gz}) {
        Status s = DecodeStatus(*bytes, limits);
        EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
      }
    };
    check(
        "max_decompressed_bytes",
        [&](DecodeLimits& l, int d) { l.max_decompressed_bytes = file.raw.size() + d; }, true);
    check(
        "max_sample_types",
        [&](DecodeLimits& l, int d) {
          l.max_sample_types = static_cast<uint32_t>(p.sample_types.size()) + d;
        },
        !p.sample_types.empty());
    check(
        "max_stack_depth", [&](DecodeLimits& l, int d) { l.max_stack_depth = deepest + d; },
        deepest > 0);
    check(
        "max_labels_per_sample",
        [&](DecodeLimits& l, int d) { l.max_labels_per_sample = most_labels + d; },
        most_labels > 0);
    check(
        "max_lines_per_location",
        [&](DecodeLimits& l, int d) { l.max_lines_per_location = most_lines + d; }, most_lines > 0);
  }
}

// Nested messages `depth` levels deep: field 1 of each level holds the next, and the
// innermost is empty. Written outermost first, so building it is linear in its size.
std::string NestedMessages(int depth) {
  std::vector<uint32_t> inner_size(depth);  // inner_size[i]: bytes inside level i
  uint32_t size = 0;
  for (int i = depth - 1; i >= 0; --i) {
    inner_size[i] = size;
    size += 1 + google::protobuf::io::CodedOutputStream::VarintSize32(size);
  }
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    for (int i = 0; i < depth; ++i) {
      coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
          1, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
      coded.WriteVarint32(inner_size[i]);
    }
  }
  EXPECT_EQ(out.size(), size);
  return out;
}

TEST_F(DecodeMutatedProfile, SkipsDeeplyNestedUnknownMessages) {
  // kprof skips unknown length-delimited fields without looking inside, so depth does
  // not matter; libprotobuf too keeps them as opaque bytes.
  for (int depth : {10, 100000}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    std::string nested = NestedMessages(depth);
    for (const auto& file : profiles_) {
      SCOPED_TRACE(file.name);
      pb::Profile m = ParseProto(file.raw);
      m.GetReflection()->MutableUnknownFields(&m)->AddLengthDelimited(100, nested);
      for (auto& sample : *m.mutable_sample()) {
        sample.GetReflection()->MutableUnknownFields(&sample)->AddLengthDelimited(17, nested);
        break;
      }
      Profile got;
      Decoder decoder;
      Status s = decoder.Decode(m.SerializeAsString(), &got);
      ASSERT_TRUE(s.ok()) << s.ToString();
      Profile want;
      ASSERT_TRUE(decoder.Decode(file.raw, &want).ok());
      ExpectProfilesEqual(got, want);
    }
  }
}

TEST_F(DecodeMutatedProfile, RejectsGroupsThatLibprotobufSkips) {
  // profile.proto has no groups and google/pprof's decoder rejects wire types 3 and 4;
  // kprof does the same, while libprotobuf keeps unknown groups.
  for (int depth : {1, 10}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    pb::Profile m = ParseProto(profiles_[0].raw);
    google::protobuf::UnknownFieldSet* group =
        m.GetReflection()->MutableUnknownFields(&m)->AddGroup(100);
    for (int i = 1; i < depth; ++i) group = group->AddGroup(1);
    group->AddVarint(1, 1);
    std::string bytes = m.SerializeAsString();
    pb::Profile reparsed;
    ASSERT_TRUE(reparsed.ParseFromString(bytes));
    Status s = DecodeStatus(bytes);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("group"));
  }
}

// gzip (as zlib writes it) of `n` zero bytes.
std::string GzipOfZeros(size_t n) {
  z_stream z{};
  // Z_RLE finds the same distance-1 matches as the default strategy on zeros
  // (~1030:1) in about half the time.
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_RLE), Z_OK);
  std::vector<unsigned char> zeros(1 << 20);
  std::string out;
  char buf[1 << 16];
  for (size_t done = 0; done < n;) {
    size_t chunk = std::min(zeros.size(), n - done);
    done += chunk;
    z.next_in = zeros.data();
    z.avail_in = static_cast<uInt>(chunk);
    int flush = done == n ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof(buf);
      deflate(&z, flush);
      out.append(buf, sizeof(buf) - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

size_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss) * 1024;
}

TEST(DecodeErrors, GzipBombIsStoppedAtTheLimit) {
  const std::string bomb = GzipOfZeros(size_t{1} << 30);
  ASSERT_LT(bomb.size(), 2u << 20);

  const size_t rss_before = PeakRssBytes();
  const auto start = std::chrono::steady_clock::now();
  Status s = DecodeStatus(bomb);  // default limits
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const size_t growth = PeakRssBytes() - rss_before;

  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("limit"));
  EXPECT_LT(growth, size_t{512} << 20) << "peak RSS grew by " << (growth >> 20) << " MiB";
  EXPECT_LT(seconds, 10.0);
  RecordProperty("bomb_seconds", std::to_string(seconds));
  RecordProperty("bomb_rss_growth_mib", std::to_string(growth >> 20));

  // A small limit stops it sooner.
  DecodeLimits small;
  small.max_decompressed_bytes = 8u << 20;
  s = DecodeStatus(bomb, small);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
}

TEST(DecodeErrors, EmptyInputIsNotAProfile) {
  // An empty byte string is a valid (empty) proto message, but a profile needs a string
  // table starting with "": kprof rejects it, as google/pprof rejects empty input.
  Status s = DecodeStatus("");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("empty string"));

  // The same inside gzip.
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  unsigned char buf[64];
  z.next_out = buf;
  z.avail_out = sizeof(buf);
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  std::string empty_gzip(reinterpret_cast<char*>(buf), sizeof(buf) - z.avail_out);
  deflateEnd(&z);
  s = DecodeStatus(empty_gzip);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("empty string"));

  // The smallest valid profile is what kprof writes for an empty Profile: a string
  // table holding "".
  std::string smallest = EncodeProfile(Profile{});
  EXPECT_EQ(smallest, std::string("\x32\x00", 2));
  auto decoded = DecodeProfile(smallest);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectProfilesEqual(*decoded, Profile{});
}

}  // namespace
}  // namespace kprof::pprof

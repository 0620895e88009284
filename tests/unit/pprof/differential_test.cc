// Differential tests of kprof's hand-written pprof codec against libprotobuf, on real
// Go profiles: both must read the same bytes the same way, and what kprof writes
// must parse back, in libprotobuf, to the message Go wrote.

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include <memory>
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
using testutil::ExpectProfilesEqual;

class Differential : public testutil::RealProfilesTest {};

pb::Profile ParseProto(const std::string& raw) {
  pb::Profile m;
  EXPECT_TRUE(m.ParseFromString(raw)) << "libprotobuf cannot parse the profile";
  return m;
}

Profile MustDecode(std::string_view data) {
  Profile p;
  Decoder decoder;
  Status s = decoder.Decode(data, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return p;
}

uint64_t MappingIdOf(const Profile& p, uint32_t index) {
  return index == kNoIndex ? 0 : p.mappings[index].id;
}
uint64_t FunctionIdOf(const Profile& p, uint32_t index) {
  return index == kNoIndex ? 0 : p.functions[index].id;
}

// Checks every field of `k` against the libprotobuf message `m`, resolving kprof's
// indices back to the ids the wire carries.
void ExpectMatchesProto(const Profile& k, const pb::Profile& m) {
  ASSERT_EQ(k.strings.size(), static_cast<uint32_t>(m.string_table_size()));
  for (int i = 0; i < m.string_table_size(); ++i) {
    EXPECT_EQ(k.str(i), m.string_table(i)) << "string " << i;
  }

  ASSERT_EQ(k.sample_types.size(), static_cast<size_t>(m.sample_type_size()));
  for (int i = 0; i < m.sample_type_size(); ++i) {
    EXPECT_EQ(k.sample_types[i].type, m.sample_type(i).type()) << "sample_type " << i;
    EXPECT_EQ(k.sample_types[i].unit, m.sample_type(i).unit()) << "sample_type " << i;
  }

  ASSERT_EQ(k.samples.size(), static_cast<size_t>(m.sample_size()));
  for (int i = 0; i < m.sample_size(); ++i) {
    SCOPED_TRACE("sample " + std::to_string(i));
    const pb::Sample& ms = m.sample(i);
    auto locs = k.LocationsOf(k.samples[i]);
    ASSERT_EQ(locs.size(), static_cast<size_t>(ms.location_id_size()));
    for (size_t j = 0; j < locs.size(); ++j) {
      EXPECT_EQ(k.locations[locs[j]].id, ms.location_id(j)) << "frame " << j;
    }
    auto values = k.ValuesOf(i);
    ASSERT_EQ(values.size(), static_cast<size_t>(ms.value_size()));
    for (size_t j = 0; j < values.size(); ++j) EXPECT_EQ(values[j], ms.value(j)) << "value " << j;
    auto labels = k.LabelsOf(k.samples[i]);
    ASSERT_EQ(labels.size(), static_cast<size_t>(ms.label_size()));
    for (size_t j = 0; j < labels.size(); ++j) {
      const pb::Label& ml = ms.label(j);
      EXPECT_EQ(labels[j].key, ml.key()) << "label " << j;
      EXPECT_EQ(labels[j].str, ml.str()) << "label " << j;
      EXPECT_EQ(labels[j].num, ml.num()) << "label " << j;
      EXPECT_EQ(labels[j].num_unit, ml.num_unit()) << "label " << j;
    }
  }

  ASSERT_EQ(k.mappings.size(), static_cast<size_t>(m.mapping_size()));
  for (int i = 0; i < m.mapping_size(); ++i) {
    SCOPED_TRACE("mapping " + std::to_string(i));
    const Mapping& km = k.mappings[i];
    const pb::Mapping& mm = m.mapping(i);
    EXPECT_EQ(km.id, mm.id());
    EXPECT_EQ(km.memory_start, mm.memory_start());
    EXPECT_EQ(km.memory_limit, mm.memory_limit());
    EXPECT_EQ(km.file_offset, mm.file_offset());
    EXPECT_EQ(km.filename, mm.filename());
    EXPECT_EQ(km.build_id, mm.build_id());
    EXPECT_EQ(km.has_functions, mm.has_functions());
    EXPECT_EQ(km.has_filenames, mm.has_filenames());
    EXPECT_EQ(km.has_line_numbers, mm.has_line_numbers());
    EXPECT_EQ(km.has_inline_frames, mm.has_inline_frames());
  }

  ASSERT_EQ(k.locations.size(), static_cast<size_t>(m.location_size()));
  for (int i = 0; i < m.location_size(); ++i) {
    SCOPED_TRACE("location " + std::to_string(i));
    const Location& kl = k.locations[i];
    const pb::Location& ml = m.location(i);
    EXPECT_EQ(kl.id, ml.id());
    EXPECT_EQ(MappingIdOf(k, kl.mapping), ml.mapping_id());
    EXPECT_EQ(kl.address, ml.address());
    EXPECT_EQ(kl.is_folded, ml.is_folded());
    auto lines = k.LinesOf(kl);
    ASSERT_EQ(lines.size(), static_cast<size_t>(ml.line_size()));
    for (size_t j = 0; j < lines.size(); ++j) {
      EXPECT_EQ(FunctionIdOf(k, lines[j].function), ml.line(j).function_id()) << "line " << j;
      EXPECT_EQ(lines[j].line, ml.line(j).line()) << "line " << j;
      EXPECT_EQ(lines[j].column, ml.line(j).column()) << "line " << j;
    }
  }

  ASSERT_EQ(k.functions.size(), static_cast<size_t>(m.function_size()));
  for (int i = 0; i < m.function_size(); ++i) {
    SCOPED_TRACE("function " + std::to_string(i));
    EXPECT_EQ(k.functions[i].id, m.function(i).id());
    EXPECT_EQ(k.functions[i].name, m.function(i).name());
    EXPECT_EQ(k.functions[i].system_name, m.function(i).system_name());
    EXPECT_EQ(k.functions[i].filename, m.function(i).filename());
    EXPECT_EQ(k.functions[i].start_line, m.function(i).start_line());
  }

  EXPECT_EQ(k.drop_frames, m.drop_frames());
  EXPECT_EQ(k.keep_frames, m.keep_frames());
  EXPECT_EQ(k.time_nanos, m.time_nanos());
  EXPECT_EQ(k.duration_nanos, m.duration_nanos());
  EXPECT_EQ(k.period_type.type, m.period_type().type());
  EXPECT_EQ(k.period_type.unit, m.period_type().unit());
  EXPECT_EQ(k.period, m.period());
  ASSERT_EQ(k.comments.size(), static_cast<size_t>(m.comment_size()));
  for (int i = 0; i < m.comment_size(); ++i) EXPECT_EQ(k.comments[i], m.comment(i));
  EXPECT_EQ(k.default_sample_type, m.default_sample_type());
  EXPECT_EQ(k.doc_url, m.doc_url());
}

TEST_F(Differential, DecodeMatchesLibprotobuf) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    pb::Profile m = ParseProto(file.raw);
    ASSERT_GT(m.string_table_size(), 1) << "not a real profile";
    Profile from_gz = MustDecode(file.gz);
    ExpectMatchesProto(from_gz, m);
    // The plain bytes decode to the same profile as the gzipped file.
    ExpectProfilesEqual(MustDecode(file.raw), from_gz);
  }
}

TEST_F(Differential, EncodeReproducesTheOriginalMessage) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    pb::Profile original = ParseProto(file.raw);
    Profile p = MustDecode(file.gz);
    std::string encoded = EncodeProfile(p);
    pb::Profile reparsed;
    ASSERT_TRUE(reparsed.ParseFromString(encoded));
    std::string report;
    MessageDifferencer differ;
    differ.ReportDifferencesToString(&report);
    EXPECT_TRUE(differ.Compare(original, reparsed)) << report;

    // The gzipped form holds the same bytes.
    std::string inflated;
    ASSERT_TRUE(testutil::ZlibGunzip(EncodeProfileGzip(p), &inflated));
    EXPECT_EQ(inflated, encoded);
  }
}

TEST_F(Differential, DecodeEncodeDecodeIsIdentity) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    Profile first = MustDecode(file.gz);
    std::string encoded = EncodeProfile(first);
    Profile second = MustDecode(encoded);
    ExpectProfilesEqual(first, second);
    EXPECT_EQ(EncodeProfile(second), encoded) << "encoding is not deterministic";
  }
}

TEST_F(Differential, ReusedDecoderAndProfileGiveFreshResults) {
  // One Decoder and one Profile decode every file twice over, in opposite orders; each
  // result must equal a fresh decode (no state leaks between calls).
  Decoder decoder;
  Profile reused;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t n = 0; n < profiles_.size(); ++n) {
      const auto& file = profiles_[pass == 0 ? n : profiles_.size() - 1 - n];
      SCOPED_TRACE(file.name);
      Status s = decoder.Decode(file.gz, &reused);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ExpectProfilesEqual(reused, MustDecode(file.gz));
    }
  }
}

TEST_F(Differential, CopyOwnsItsStrings) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    auto original = std::make_unique<Profile>(MustDecode(file.gz));
    Profile copy = *original;
    ExpectProfilesEqual(copy, *original);
    std::string encoded = EncodeProfile(*original);
    original.reset();  // the copy must not point into the original's buffer
    EXPECT_EQ(EncodeProfile(copy), encoded);
  }
}

// Adds unknown fields of every skippable wire type to `message` and, recursively, to
// every message inside it.
void AddUnknownFieldsEverywhere(google::protobuf::Message* message) {
  const auto* reflection = message->GetReflection();
  const auto* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int j = 0; j < reflection->FieldSize(*message, field); ++j) {
        AddUnknownFieldsEverywhere(reflection->MutableRepeatedMessage(message, field, j));
      }
    } else if (reflection->HasField(*message, field)) {
      AddUnknownFieldsEverywhere(reflection->MutableMessage(message, field));
    }
  }
  google::protobuf::UnknownFieldSet* unknown = reflection->MutableUnknownFields(message);
  unknown->AddVarint(16, 1);  // the next field number profile.proto may define
  unknown->AddVarint(1000, UINT64_MAX);
  unknown->AddFixed32(1001, 0xdeadbeef);
  unknown->AddFixed64(1002, 0x0123456789abcdefULL);
  unknown->AddLengthDelimited(1003, "opaque bytes");
  unknown->AddLengthDelimited(536870911, "");  // the largest field number
}

TEST_F(Differential, SkipsUnknownFieldsInEveryMessage) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    pb::Profile m = ParseProto(file.raw);
    AddUnknownFieldsEverywhere(&m);
    std::string with_unknown = m.SerializeAsString();
    ASSERT_GT(with_unknown.size(), file.raw.size());
    ExpectProfilesEqual(MustDecode(with_unknown), MustDecode(file.raw));
  }
}

namespace proto_io = google::protobuf::io;
using google::protobuf::internal::WireFormatLite;

void WriteTag(proto_io::CodedOutputStream* out, int field, WireFormatLite::WireType type) {
  out->WriteTag(WireFormatLite::MakeTag(field, type));
}

void WriteVarintField(proto_io::CodedOutputStream* out, int field, uint64_t v) {
  WriteTag(out, field, WireFormatLite::WIRETYPE_VARINT);
  out->WriteVarint64(v);
}

void WritePacked(proto_io::CodedOutputStream* out, int field, const std::vector<uint64_t>& vs) {
  std::string body;
  {
    proto_io::StringOutputStream stream(&body);
    proto_io::CodedOutputStream inner(&stream);
    for (uint64_t v : vs) inner.WriteVarint64(v);
  }
  WriteTag(out, field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  out->WriteVarint32(static_cast<uint32_t>(body.size()));
  out->WriteString(body);
}

void WriteMessage(proto_io::CodedOutputStream* out, int field, const std::string& body) {
  WriteTag(out, field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  out->WriteVarint32(static_cast<uint32_t>(body.size()));
  out->WriteString(body);
}

enum class RepeatedEncoding {
  kUnpacked,     // one key per value
  kSplitPacked,  // two packed runs per field (valid: parsers concatenate them)
  kMixed,        // the first value unpacked, the rest packed
};

// Writes `values` of repeated integer field `field` in `encoding`.
void WriteRepeated(proto_io::CodedOutputStream* out, int field, const std::vector<uint64_t>& values,
                   RepeatedEncoding encoding) {
  if (values.empty()) return;
  switch (encoding) {
    case RepeatedEncoding::kUnpacked:
      for (uint64_t v : values) WriteVarintField(out, field, v);
      return;
    case RepeatedEncoding::kSplitPacked: {
      size_t half = values.size() / 2;
      WritePacked(out, field, {values.begin(), values.begin() + half});
      WritePacked(out, field, {values.begin() + half, values.end()});
      return;
    }
    case RepeatedEncoding::kMixed:
      WriteVarintField(out, field, values[0]);
      if (values.size() > 1) WritePacked(out, field, {values.begin() + 1, values.end()});
      return;
  }
}

// Serializes `m` with its repeated integer fields (Sample.location_id, Sample.value,
// Profile.comment) written in `encoding`; everything else as libprotobuf writes it.
std::string SerializeWithRepeatedEncoding(const pb::Profile& m, RepeatedEncoding encoding) {
  std::string out;
  {
    proto_io::StringOutputStream stream(&out);
    proto_io::CodedOutputStream coded(&stream);
    for (const pb::Sample& s : m.sample()) {
      std::string body;
      {
        proto_io::StringOutputStream sample_stream(&body);
        proto_io::CodedOutputStream sample_out(&sample_stream);
        WriteRepeated(&sample_out, 1, {s.location_id().begin(), s.location_id().end()}, encoding);
        std::vector<uint64_t> values(s.value().begin(), s.value().end());
        WriteRepeated(&sample_out, 2, values, encoding);
        for (const pb::Label& l : s.label()) WriteMessage(&sample_out, 3, l.SerializeAsString());
      }
      WriteMessage(&coded, 2, body);
    }
    std::vector<uint64_t> comments(m.comment().begin(), m.comment().end());
    WriteRepeated(&coded, 13, comments, encoding);
  }
  // Concatenated messages merge, so the remaining fields can follow as a whole message.
  pb::Profile rest = m;
  rest.clear_sample();
  rest.clear_comment();
  out += rest.SerializeAsString();
  return out;
}

TEST_F(Differential, AcceptsUnpackedAndSplitRepeatedFields) {
  for (const auto& file : profiles_) {
    SCOPED_TRACE(file.name);
    pb::Profile m = ParseProto(file.raw);
    // Comments are rare in Go profiles; add some so field 13 is exercised too.
    m.add_comment(0);
    m.add_comment(m.string_table_size() - 1);
    m.add_comment(1);
    const Profile expected = MustDecode(m.SerializeAsString());
    for (auto encoding :
         {RepeatedEncoding::kUnpacked, RepeatedEncoding::kSplitPacked, RepeatedEncoding::kMixed}) {
      SCOPED_TRACE("encoding " + std::to_string(static_cast<int>(encoding)));
      std::string bytes = SerializeWithRepeatedEncoding(m, encoding);
      // The variant is the same message to libprotobuf ...
      pb::Profile reparsed;
      ASSERT_TRUE(reparsed.ParseFromString(bytes));
      ASSERT_TRUE(MessageDifferencer::Equals(m, reparsed));
      // ... and to kprof.
      ExpectProfilesEqual(MustDecode(bytes), expected);
    }
  }
}

}  // namespace
}  // namespace kprof::pprof

#include <gtest/gtest.h>

#include "pprof/decode.h"
#include "pprof/encode.h"
#include "pprof/gzip.h"
#include "pprof/wire.h"

namespace kprof::pprof {
namespace {

TEST(Wire, RejectsTruncatedVarint) {
  std::string bytes = "\x08\xff";
  WireReader r(bytes);
  uint32_t f;
  uint8_t wt;
  ASSERT_TRUE(r.NextField(&f, &wt));
  r.ReadVarint();
  EXPECT_TRUE(r.failed());
}

TEST(Gzip, RoundTripsAndBoundsOutput) {
  std::string data(100000, 'x');
  std::string gz = Gzip(data);
  std::string out;
  ASSERT_TRUE(Gunzip(gz, 1 << 20, &out).ok());
  EXPECT_EQ(out, data);
  Status s = Gunzip(gz, 50000, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
}

}  // namespace
}  // namespace kprof::pprof

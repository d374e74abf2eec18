#include "service/sessions/stream_offsets.h"

#include <string>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

bool IsInvalid(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         GetSocketError(status) == v1::SOCKET_ERROR_INVALID_REQUEST;
}

TEST(StreamOffsetsTest, SendDuplicatePrefix) {
  // Nothing written yet: offset 0 appends.
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(0, 10, 0), 0u);
  // A retry of bytes 0..9 after 4 went out skips those 4.
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(0, 10, 4), 4u);
  // A retry whose bytes all went out (and more after them) is a no-op.
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(0, 10, 10), 10u);
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(0, 10, 25), 10u);
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(25, 0, 25), 0u);
  // Huge positions do not overflow.
  EXPECT_EQ(*StreamOffsets::DuplicatePrefix(0, 3, UINT64_MAX), 3u);
  // A gap names the expected offset.
  absl::StatusOr<size_t> gap = StreamOffsets::DuplicatePrefix(11, 1, 10);
  ASSERT_TRUE(IsInvalid(gap.status())) << gap.status();
  EXPECT_NE(gap.status().message().find("expected offset 10"), absl::string_view::npos)
      << gap.status();
}

TEST(StreamOffsetsTest, FinalSendOffset) {
  EXPECT_TRUE(StreamOffsets::CheckFinalSendOffset(0, 0).ok());
  EXPECT_TRUE(StreamOffsets::CheckFinalSendOffset(5, 10).ok());
  EXPECT_TRUE(StreamOffsets::CheckFinalSendOffset(10, 10).ok());
  const absl::Status short_close = StreamOffsets::CheckFinalSendOffset(11, 10);
  EXPECT_EQ(short_close.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(short_close.message().find("11"), absl::string_view::npos);
  EXPECT_NE(short_close.message().find("10 bytes"), absl::string_view::npos);
}

TEST(StreamOffsetsTest, NothingRetainedOnlyTheCurrentOffsetIsValid) {
  StreamOffsets offsets;
  absl::StatusOr<std::string> tail = offsets.Rewind(0, 0);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, "");
  EXPECT_TRUE(IsInvalid(offsets.Rewind(1, 0).status()));
  const absl::Status behind = offsets.Rewind(3, 7).status();
  EXPECT_TRUE(IsInvalid(behind));
  EXPECT_NE(behind.message().find("valid offset 7"), absl::string_view::npos) << behind;
}

TEST(StreamOffsetsTest, RetainedChunkIsReplayedUntilTheNextOffsetShowsItArrived) {
  StreamOffsets offsets;
  offsets.Retain(100, "hello");
  EXPECT_EQ(offsets.retained_offset(), 100u);
  EXPECT_EQ(offsets.retained_bytes(), 5u);
  // The answer was lost: the same bytes again; the retention is handed back.
  absl::StatusOr<std::string> again = offsets.Rewind(100, 105);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, "hello");
  EXPECT_EQ(offsets.retained_bytes(), 0u);

  // Inside the chunk: its tail.
  offsets.Retain(100, "hello");
  absl::StatusOr<std::string> tail = offsets.Rewind(102, 105);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, "llo");

  // At its end: it arrived, nothing to replay, retention dropped.
  offsets.Retain(100, "hello");
  absl::StatusOr<std::string> next = offsets.Rewind(105, 105);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, "");
  EXPECT_EQ(offsets.retained_bytes(), 0u);
}

TEST(StreamOffsetsTest, OffsetsOutsideTheChunkAreRefusedAndChangeNothing) {
  StreamOffsets offsets;
  offsets.Retain(100, "hello");
  for (uint64_t bad : {0, 99, 106, 1000}) {
    const absl::Status status = offsets.Rewind(bad, 105).status();
    EXPECT_TRUE(IsInvalid(status)) << bad << ": " << status;
    EXPECT_NE(status.message().find("100..105"), absl::string_view::npos) << status;
  }
  EXPECT_EQ(offsets.retained_bytes(), 5u);
  EXPECT_EQ(*offsets.Rewind(100, 105), "hello");
}

TEST(StreamOffsetsTest, StaleChunkIsNotReplayed) {
  StreamOffsets offsets;
  offsets.Retain(100, "hello");
  // 10 more bytes were delivered without this class (a Pipe): the chunk no
  // longer ends where the answers end.
  EXPECT_TRUE(IsInvalid(offsets.Rewind(100, 115).status()));
  EXPECT_TRUE(offsets.Rewind(115, 115).ok());
  EXPECT_EQ(offsets.retained_bytes(), 0u);
}

TEST(StreamOffsetsTest, DropAndEmptyRetain) {
  StreamOffsets offsets;
  offsets.Retain(7, "abc");
  offsets.Drop();
  EXPECT_EQ(offsets.retained_bytes(), 0u);
  EXPECT_TRUE(IsInvalid(offsets.Rewind(7, 10).status()));
  offsets.Retain(10, "");
  EXPECT_EQ(offsets.retained_bytes(), 0u);
  EXPECT_TRUE(offsets.Rewind(10, 10).ok());
}

}  // namespace
}  // namespace socketsvc

// The room status table and the ticker's masked names.
#include <gtest/gtest.h>

#include "base/messages.h"
#include "live/live.h"

namespace xd::live {
namespace {

TEST(LiveRoomStatus, OneTableListsEveryMove) {
  using S = RoomStatus;
  const S all[] = {S::kScheduled, S::kLive, S::kEnded, S::kCancelled};
  for (S from : all) {
    EXPECT_EQ(RoomStatusFromString(ToString(from)), from);
    for (S to : all) {
      const bool listed = (from == S::kScheduled && (to == S::kLive || to == S::kCancelled)) ||
                          (from == S::kLive && to == S::kEnded);
      EXPECT_EQ(CanMove(from, to), listed) << ToString(from) << "→" << ToString(to);
      Status s = Move(from, to);
      EXPECT_EQ(s.has_value(), listed);
      if (!listed) {
        EXPECT_EQ(s.error().code, ErrorCode::INVALID_STATE);
      }
    }
  }
  EXPECT_FALSE(RoomStatusFromString("paused").has_value());
}

}  // namespace
}  // namespace xd::live

#include "vfs/slice_view.h"

#include <gtest/gtest.h>

namespace tierfs::vfs {
namespace {

using meta::Slice;

TEST(ResolveSlices, EmptyListHasNoPieces) { EXPECT_TRUE(ResolveSlices({}).empty()); }

TEST(ResolveSlices, SingleSliceIsOnePiece) {
  auto p = ResolveSlices({Slice{10, 7, 100, 5, 50}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], (Piece{10, 50, 7, 100, 5}));
}

TEST(ResolveSlices, LaterSliceWinsInTheMiddle) {
  auto p = ResolveSlices({Slice{0, 1, 100, 0, 100}, Slice{40, 2, 10, 0, 10}});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], (Piece{0, 40, 1, 100, 0}));
  EXPECT_EQ(p[1], (Piece{40, 10, 2, 10, 0}));
  EXPECT_EQ(p[2], (Piece{50, 50, 1, 100, 50}));  // right part keeps its slice offset
}

TEST(ResolveSlices, EarlierSliceDoesNotOverrideLater) {
  auto p = ResolveSlices({Slice{40, 2, 10, 0, 10}, Slice{0, 1, 100, 0, 100}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], (Piece{0, 100, 1, 100, 0}));
}

TEST(ResolveSlices, GapsStayHolesAndZeroSlicesAreKept) {
  auto p = ResolveSlices({Slice{0, 1, 10, 0, 10}, Slice{20, 0, 10, 0, 10}, Slice{5, 3, 20, 0, 20}});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], (Piece{0, 5, 1, 10, 0}));
  EXPECT_EQ(p[1], (Piece{5, 20, 3, 20, 0}));
  EXPECT_EQ(p[2], (Piece{25, 5, 0, 10, 5}));
}

TEST(ResolveSlices, ExactOverwriteReplaces) {
  auto p = ResolveSlices({Slice{0, 1, 8, 0, 8}, Slice{0, 2, 8, 0, 8}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].id, 2u);
}

TEST(ResolveSlices, ZeroLengthSlicesAreIgnored) {
  auto p = ResolveSlices({Slice{0, 1, 8, 0, 8}, Slice{2, 2, 0, 0, 0}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].id, 1u);
}

}  // namespace
}  // namespace tierfs::vfs

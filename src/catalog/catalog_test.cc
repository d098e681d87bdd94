// Unit tests of catalog queries over a temp store.
#include "catalog/catalog.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "base/clock.h"

namespace xd::catalog {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_catalog_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 1}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// Anonymous callers choose these numbers; were they pasted into the SQL text, each distinct
// request would leave one more prepared statement behind.
TEST_F(CatalogTest, SearchWithDistinctNumericFiltersAddsNoCachedStatements) {
  auto search = [&](int64_t i) {
    SearchQuery q;
    q.q = "茶叶礼盒";
    q.merchant_id = 1000 + i;
    q.min_price_fen = i;
    q.max_price_fen = 100000 + i;
    q.offset = i;
    q.limit = 1 + i % 50;
    auto r = store_->Read([&](Reader& r) { return Search(r, q); });
    ASSERT_TRUE(r) << r.error().message;
  };
  search(0);
  const int64_t cached = store_->stats().cached_statements;
  for (int64_t i = 1; i <= 300; ++i) search(i);
  EXPECT_EQ(store_->stats().cached_statements, cached);
}

}  // namespace
}  // namespace xd::catalog

#include "store/dialect.h"

#include <gtest/gtest.h>

namespace xd {
namespace {

TEST(RewritePlaceholders, NumberedAndBare) {
  EXPECT_EQ(RewritePlaceholders("SELECT a FROM t WHERE id=?1 AND b=?2"),
            "SELECT a FROM t WHERE id=$1 AND b=$2");
  EXPECT_EQ(RewritePlaceholders("INSERT INTO t VALUES(?,?,?)"), "INSERT INTO t VALUES($1,$2,$3)");
  EXPECT_EQ(RewritePlaceholders("UPDATE t SET a=?3, b=?1 WHERE c=?2"),
            "UPDATE t SET a=$3, b=$1 WHERE c=$2");
  EXPECT_EQ(RewritePlaceholders("?10+?2"), "$10+$2");
}

// SQLite's rule: a bare ? is one more than the largest number assigned so far; catalog's search
// mixes `?` and `?1` in one statement.
TEST(RewritePlaceholders, BareAfterNumberedFollowsSqlite) {
  EXPECT_EQ(RewritePlaceholders("a LIKE ? OR b LIKE ?1 OR c = ?"),
            "a LIKE $1 OR b LIKE $1 OR c = $2");
  EXPECT_EQ(RewritePlaceholders("x=?5 AND y=?"), "x=$5 AND y=$6");
  EXPECT_EQ(RewritePlaceholders("x=?2 AND y=?1 AND z=?"), "x=$2 AND y=$1 AND z=$3");
}

TEST(RewritePlaceholders, LeavesLiteralsIdentifiersAndComments) {
  EXPECT_EQ(RewritePlaceholders("SELECT '?', 'it''s ?1', \"we?rd\" FROM t WHERE a=?"),
            "SELECT '?', 'it''s ?1', \"we?rd\" FROM t WHERE a=$1");
  EXPECT_EQ(RewritePlaceholders("SELECT 1 -- why? because\n, ?"), "SELECT 1 -- why? because\n, $1");
  EXPECT_EQ(RewritePlaceholders("SELECT /* ?1 */ ?"), "SELECT /* ?1 */ $1");
  EXPECT_EQ(RewritePlaceholders("SELECT $1, ?2"), "SELECT $1, $2");
  // An unterminated literal or comment is copied as is (the server reports the error).
  EXPECT_EQ(RewritePlaceholders("SELECT 'open ?"), "SELECT 'open ?");
  EXPECT_EQ(RewritePlaceholders("SELECT /* open ?"), "SELECT /* open ?");
  EXPECT_EQ(RewritePlaceholders(""), "");
}

TEST(RewritePlaceholders, KeepsMultibyteText) {
  EXPECT_EQ(RewritePlaceholders("SELECT '咖啡?' WHERE t = ?1 -- 注释?"),
            "SELECT '咖啡?' WHERE t = $1 -- 注释?");
}

TEST(CountPlaceholders, LargestNumber) {
  EXPECT_EQ(CountPlaceholders("SELECT 1"), 0);
  EXPECT_EQ(CountPlaceholders("a=? AND b=?"), 2);
  EXPECT_EQ(CountPlaceholders("a=?3 AND b=?1"), 3);
  EXPECT_EQ(CountPlaceholders("a='?' AND b=?1"), 1);
}

TEST(Dialect, JsonAndScalars) {
  Dialect lite(SqlDialect::kSqlite), pg(SqlDialect::kPostgres);
  EXPECT_EQ(lite.JsonText("o.pricing", "coupon_id"), "json_extract(o.pricing,'$.coupon_id')");
  EXPECT_EQ(pg.JsonText("o.pricing", "coupon_id"), "(o.pricing->>'coupon_id')");
  EXPECT_EQ(pg.JsonInt("o.pricing", "coupon_id"), "(o.pricing->>'coupon_id')::bigint");
  EXPECT_EQ(lite.Greatest("a", "0"), "max(a,0)");
  EXPECT_EQ(pg.Greatest("a", "0"), "GREATEST(a,0)");
  EXPECT_EQ(pg.Least("a", "b"), "LEAST(a,b)");
}

TEST(Dialect, LikeContainsEscapes) {
  EXPECT_EQ(LikeContains("50%_off\\"), "%50\\%\\_off\\\\%");
  EXPECT_EQ(LikeContains("咖啡"), "%咖啡%");
}

TEST(Dialect, MatchTextSqlite) {
  Dialect lite(SqlDialect::kSqlite);
  auto m =
      lite.MatchText("products_fts", "product_id", "p.id", "p.title,p.category", "手冲\"咖啡", 2);
  EXPECT_EQ(m.join, "JOIN products_fts f ON f.rowid = p.id");
  EXPECT_EQ(m.where, "products_fts MATCH ?2");
  EXPECT_EQ(m.rank, "bm25(products_fts)");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "\"手冲\"\"咖啡\"");
  // Two characters: no trigram; a LIKE scan over the given columns, no score.
  auto s = lite.MatchText("products_fts", "product_id", "p.id", "p.title,p.category", "咖啡", 1);
  EXPECT_EQ(s.join, "");
  EXPECT_EQ(s.where, "(p.title LIKE ?1 ESCAPE '\\' OR p.category LIKE ?1 ESCAPE '\\')");
  EXPECT_EQ(s.rank, "");
  EXPECT_EQ(s.params, std::vector<std::string>{"%咖啡%"});
}

TEST(Dialect, MatchTextPostgres) {
  Dialect pg(SqlDialect::kPostgres);
  auto m = pg.MatchText("products_fts", "product_id", "p.id", "p.title", "咖啡", 3);
  EXPECT_EQ(m.join, "JOIN products_fts f ON f.product_id = p.id");
  EXPECT_EQ(m.where, "(f.title ILIKE ?3 OR f.body ILIKE ?3)");
  EXPECT_EQ(m.rank, "similarity(f.title, ?4) DESC, similarity(f.body, ?4) DESC");
  EXPECT_EQ(m.params, (std::vector<std::string>{"%咖啡%", "咖啡"}));
  EXPECT_EQ(pg.IndexText("products_fts", "product_id"),
            "INSERT INTO products_fts(product_id, title, body) VALUES(?1, ?2, ?3)");
  EXPECT_EQ(Dialect(SqlDialect::kSqlite).UnindexText("products_fts", "product_id"),
            "DELETE FROM products_fts WHERE rowid = ?1");
}

}  // namespace
}  // namespace xd

// The PostgreSQL migrations (migrations/pg/) applied to a private cluster: they apply, twice is a
// no-op, the schema has SQLite's tables, columns and indexes, the constraints hold, and the pg_trgm
// search of store/dialect.h keeps its match and rank contract.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "store/dialect.h"
#include "store/internal/pg_conn.h"
#include "store/internal/pg_schema.h"
#include "store/internal/sqlite_conn.h"
#include "tests/pg_cluster.h"

namespace xd::internal {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};
extern const Migration kMigrations[];
extern const size_t kMigrationCount;
extern const Migration kPgMigrations[];
extern const size_t kPgMigrationCount;

namespace {

using Schema = std::map<std::string, std::set<std::string>>;  // table → columns

class PgMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* cluster = testing::SharedPgCluster();
    if (!cluster) {
      if (testing::PgCluster::BinDir().empty()) GTEST_SKIP() << testing::PgUnavailableReason();
      FAIL() << testing::PgUnavailableReason();
    }
    static int n = 0;
    auto url = cluster->CreateSchema("mig_" + std::to_string(++n));
    ASSERT_TRUE(url) << url.error().message;
    auto c = PgConn::Open(*url);
    ASSERT_TRUE(c) << c.error().message;
    db_ = std::move(*c);
    auto s = ApplyPgMigrations(*db_);
    ASSERT_TRUE(s) << s.error().message;
  }

  Schema PgSchema() {
    Schema out;
    auto rows = db_->Query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name <> 'schema_migrations'");
    EXPECT_TRUE(rows) << rows.error().message;
    for (const Row& r : *rows) out[r.Str(0)].insert(r.Str(1));
    return out;
  }

  std::unique_ptr<PgConn> db_;
};

// SQLite's schema, from its own migrations applied to a scratch file.
Schema SqliteSchema(std::set<std::string>* indexes) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("xd-mig-" + std::to_string(::getpid()) + ".db"))
          .string();
  std::filesystem::remove(path);
  Schema out;
  {
    auto db = SqliteConn::Open(path, false, "OFF", 64);
    EXPECT_TRUE(db);
    for (size_t i = 0; i < kMigrationCount; ++i) {
      auto s = (*db)->ExecScript(kMigrations[i].sql);
      EXPECT_TRUE(s) << kMigrations[i].name;
    }
    auto tables = (*db)->Query(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND "
        "name NOT LIKE 'products_fts%'",
        {});
    for (const Row& t : *tables) {
      // xinfo: generated columns too (live_orders.id, migration 038), as PostgreSQL lists them.
      auto cols = (*db)->Query("SELECT name FROM pragma_table_xinfo(?1)", {t.Str(0)});
      for (const Row& c : *cols) out[t.Str(0)].insert(c.Str(0));
    }
    auto idx = (*db)->Query(
        "SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'", {});
    for (const Row& r : *idx) indexes->insert(r.Str(0));
  }
  std::filesystem::remove(path);
  return out;
}

TEST_F(PgMigrationsTest, SameVersionsAsSqlite) {
  // Every src/store/migrations/NNN_name.sql needs its twin in migrations/pg/ (same name and
  // meaning, PostgreSQL dialect: docs/scale-out.md, "The PostgreSQL schema").
  for (size_t i = 0; i < std::max(kMigrationCount, kPgMigrationCount); ++i) {
    std::string lite = i < kMigrationCount ? kMigrations[i].name : "(none)";
    std::string pg = i < kPgMigrationCount ? kPgMigrations[i].name : "(none)";
    EXPECT_EQ(pg, lite) << "migrations/pg/ must have a twin of each migrations/*.sql";
  }
  ASSERT_EQ(kPgMigrationCount, kMigrationCount);
  auto n = db_->Query("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->at(0).Int(0), static_cast<int64_t>(kMigrationCount));
  // Applying again changes nothing.
  auto again = ApplyPgMigrations(*db_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(db_->Query("SELECT count(*) FROM schema_migrations")->at(0).Int(0),
            static_cast<int64_t>(kMigrationCount));
}

TEST_F(PgMigrationsTest, SameTablesColumnsAndIndexesAsSqlite) {
  std::set<std::string> lite_indexes;
  Schema lite = SqliteSchema(&lite_indexes);
  Schema pg = PgSchema();
  // The search table differs by design: FTS5's rowid is product_id here.
  ASSERT_TRUE(pg.count("products_fts"));
  EXPECT_EQ(pg["products_fts"], (std::set<std::string>{"product_id", "title", "body"}));
  pg.erase("products_fts");
  lite.erase("schema_migrations");
  EXPECT_EQ(pg, lite);
  auto idx = db_->Query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()");
  ASSERT_TRUE(idx);
  std::set<std::string> pg_indexes;
  for (const Row& r : *idx) pg_indexes.insert(r.Str(0));
  for (const auto& name : lite_indexes) EXPECT_TRUE(pg_indexes.count(name)) << name;
  EXPECT_TRUE(pg_indexes.count("products_fts_title"));
  EXPECT_TRUE(pg_indexes.count("products_fts_body"));
}

TEST_F(PgMigrationsTest, ConstraintsHold) {
  auto bad_kind = db_->Run(
      "INSERT INTO merchants(id, kind, name, status, owner_user_id, created_at_ms) "
      "VALUES(1, 'xx', 'm', 'active', 1, 0)");
  ASSERT_FALSE(bad_kind);
  EXPECT_EQ(bad_kind.error().code, ErrorCode::CONFLICT);
  ASSERT_TRUE(
      db_->Run("INSERT INTO skus(id, product_id, merchant_id, price_fen, stock, stock_in) "
               "VALUES(1, 1, 1, 100, 1, 1)"));
  auto oversell = db_->Run("UPDATE skus SET stock = stock - 2 WHERE id = 1");
  ASSERT_FALSE(oversell);
  EXPECT_EQ(oversell.error().code, ErrorCode::CONFLICT);
  // 007 widened the activity types; JSONB config is queried by key.
  ASSERT_TRUE(db_->Run(
      "INSERT INTO activities(id, merchant_id, type, sku_id, product_id, starts_at_ms, ends_at_ms, "
      "config, created_at_ms) VALUES(1, 1, 'share_drop', 1, 1, 0, 1, ?1, 0)",
      {R"({"per_user_limit": 2})"}));
  Dialect pg(SqlDialect::kPostgres);
  auto limit = db_->Query("SELECT " + pg.JsonInt("config", "per_user_limit") + " FROM activities");
  ASSERT_TRUE(limit) << limit.error().message;
  EXPECT_EQ(limit->at(0).Int(0), 2);
  // One successful payment per order (partial unique index).
  ASSERT_TRUE(
      db_->Run("INSERT INTO payments(id, order_id, buyer_id, amount_fen, status, provider, "
               "created_at_ms) VALUES(1, 7, 1, 100, 'succeeded', 'sandbox', 0)"));
  auto twice = db_->Run(
      "INSERT INTO payments(id, order_id, buyer_id, amount_fen, status, provider, "
      "created_at_ms) VALUES(2, 7, 1, 100, 'succeeded', 'sandbox', 0)");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::CONFLICT);
  // The outbox numbers its events itself.
  ASSERT_TRUE(db_->Run("INSERT INTO events(type, payload, created_at_ms) VALUES('a', '{}', 0)"));
  ASSERT_TRUE(db_->Run("INSERT INTO events(type, payload, created_at_ms) VALUES('b', '{}', 0)"));
  auto seqs = db_->Query("SELECT seq FROM events ORDER BY seq");
  ASSERT_EQ(seqs->size(), 2u);
  EXPECT_LT(seqs->at(0).Int(0), seqs->at(1).Int(0));
}

// The search contract of Dialect::MatchText on PostgreSQL: matches are the documents whose title or
// body holds the query (ASCII case ignored), for short and long queries alike; a title match ranks
// before a body-only one; callers break ties by sales, then id.
TEST_F(PgMigrationsTest, TrigramSearchKeepsTheContract) {
  Dialect pg(SqlDialect::kPostgres);
  struct Doc {
    int64_t id;
    const char* title;
    const char* body;
    int64_t sales;
  };
  const Doc docs[] = {
      {1, "云南小粒咖啡豆 500g", "饮品 产地 云南", 5},
      {2, "挂耳咖啡", "饮品 咖啡豆 现磨", 50},
      {3, "绿茶", "饮品 产地 杭州", 100},
      {4, "Coffee Mug 马克杯", "家居 material ceramic", 1},
      {5, "咖啡豆 Espresso", "饮品", 5},
  };
  for (const Doc& d : docs) {
    ASSERT_TRUE(
        db_->Run("INSERT INTO products(id, merchant_id, title, status, sales, created_at_ms, "
                 "updated_at_ms) VALUES(?1, 1, ?2, 'on_sale', ?3, 0, 0)",
                 {d.id, d.title, d.sales}));
    ASSERT_TRUE(db_->Run(pg.UnindexText("products_fts", "product_id"), {d.id}));
    ASSERT_TRUE(db_->Run(pg.IndexText("products_fts", "product_id"), {d.id, d.title, d.body}));
  }
  auto search = [&](std::string_view q) {
    auto m = pg.MatchText("products_fts", "product_id", "p.id", "p.title", q, 1);
    std::string sql = "SELECT p.id FROM products p " + m.join + " WHERE " + m.where + " ORDER BY " +
                      m.rank + ", p.sales DESC, p.id DESC";
    std::vector<Param> params(m.params.begin(), m.params.end());
    auto rows = db_->Query(sql, {params[0], params[1]});
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<int64_t> ids;
    for (const Row& r : *rows) ids.push_back(r.Int(0));
    return ids;
  };
  // Three characters and more: title matches first (5 is shorter, so more similar, than 1), then
  // the body-only match.
  EXPECT_EQ(search("咖啡豆"), (std::vector<int64_t>{5, 1, 2}));
  // Two characters (no trigram of its own): the same substring contract.
  auto two = search("咖啡");
  EXPECT_EQ(std::set<int64_t>(two.begin(), two.end()), (std::set<int64_t>{1, 2, 5}));
  EXPECT_EQ(search("COFFEE"), (std::vector<int64_t>{4}));
  EXPECT_EQ(search("ceramic"), (std::vector<int64_t>{4}));
  // LIKE wildcards in the query are literal characters.
  EXPECT_TRUE(search("%").empty());
  EXPECT_TRUE(search("咖_豆").empty());
  EXPECT_TRUE(search("红茶").empty());
}

}  // namespace
}  // namespace xd::internal

// What differs between the store's two SQL dialects (SQLite, PostgreSQL), for domain code that must
// stay backend-neutral. Everything not here is written once, in the common subset both engines
// accept (docs/scale-out.md, "dialect audit", lists what is not yet):
//   - placeholders: write SQLite's `?` / `?N`; on PostgreSQL the store rewrites them to `$N`
//     mechanically (RewritePlaceholders), once per distinct statement;
//   - upserts: `INSERT ... ON CONFLICT(cols) DO UPDATE SET c = excluded.c` and
//     `ON CONFLICT DO NOTHING` are the same on both (SQLite >= 3.24): use them, not
//     `INSERT OR REPLACE` / `INSERT OR IGNORE`;
//   - new ids: `RETURNING id` on both (SQLite >= 3.35), never last_insert_rowid();
//   - time: the injected clock's milliseconds as a parameter, never the engine's clock.
//
//   const Dialect& d = tx.dialect();  // every Reader and Tx has its backend's
//   tx.Query("SELECT id FROM activities WHERE " + d.JsonInt("config", "per_user_limit") + " > ?1",
//            {n});
//
// Thread-safety: immutable; share freely.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xd {

enum class SqlDialect { kSqlite, kPostgres };

// Rewrites SQLite-style placeholders to PostgreSQL's: `?N` → `$N`, and a bare `?` → `$K` where K is
// one more than the largest number assigned so far (SQLite's own rule, so a statement mixing `?`
// and `?1` binds the same values on both). String literals ('…'), quoted identifiers ("…") and
// comments are copied unchanged; `$N` already present is left alone. Not understood, so not to be
// used in shared SQL: PostgreSQL's `?` JSONB operators (use jsonb_exists()), dollar-quoted strings,
// SQLite's [bracket] and `backtick` quoting.
std::string RewritePlaceholders(std::string_view sql);

// The number of parameters a SQLite-style statement binds (the largest placeholder number).
int CountPlaceholders(std::string_view sql);

class Dialect {
 public:
  explicit Dialect(SqlDialect kind) : kind_(kind) {}
  SqlDialect kind() const { return kind_; }

  // An expression giving the top-level `key` of the JSON text/JSONB `column` as text (NULL when
  // absent): SQLite `json_extract(col,'$.key')`, PostgreSQL `(col->>'key')`. `column` and `key` are
  // trusted identifiers, never user input.
  std::string JsonText(std::string_view column, std::string_view key) const;
  // The same as a 64-bit integer.
  std::string JsonInt(std::string_view column, std::string_view key) const;

  // A subquery giving the ids of the JSON array bound at `param` ("?" or "?N"; IdListParam makes
  // the value), for `col IN <it>`: SQLite json_each, PostgreSQL jsonb_array_elements_text.
  std::string IdsIn(std::string_view param) const;

  // Appended to a SELECT whose rows the transaction is about to act on (check-then-act): the
  // rows stay locked to COMMIT, and a concurrent writer's lock is waited for, then its committed
  // value read (PostgreSQL FOR UPDATE; nothing on SQLite, whose single writer holds every row).
  std::string_view ForUpdate() const { return kind_ == SqlDialect::kSqlite ? "" : " FOR UPDATE"; }

  // Appended to a SELECT whose rows must not change until COMMIT while other transactions may
  // read them so too (PostgreSQL FOR SHARE: sharers do not wait for each other; an UPDATE of the
  // row waits for every sharer, and a sharer coming after it waits for it and then reads its
  // committed value; nothing on SQLite).
  std::string_view ForShare() const { return kind_ == SqlDialect::kSqlite ? "" : " FOR SHARE"; }

  // Appended to a SELECT that claims rows for this transaction: rows another transaction has
  // locked are skipped instead of waited for (PostgreSQL FOR UPDATE SKIP LOCKED; nothing on
  // SQLite, whose single writer holds every row).
  std::string_view SkipLocked() const { return kind_ == SqlDialect::kSqlite ? "" : " FOR UPDATE SKIP LOCKED"; }

  // The larger / smaller of two expressions: SQLite's two-argument max()/min() scalars,
  // PostgreSQL's GREATEST/LEAST.
  std::string Greatest(std::string_view a, std::string_view b) const;
  std::string Least(std::string_view a, std::string_view b) const;

  // Full-text search over a search table `table(<key>, title, body)` kept by IndexText(). The match
  // contract, the same on both: a document matches when `q` occurs in its title or body as a
  // substring, ignoring ASCII case. The rank contract: `rank` orders better matches first by the
  // engine's own score (bm25 over FTS5 trigrams on SQLite; pg_trgm similarity of the title, then of
  // the body, on PostgreSQL), and callers break ties themselves (sales, then id). Queries shorter
  // than three characters cannot use a trigram index: on SQLite they scan with LIKE over
  // `scan_columns`; on PostgreSQL the same ILIKE serves both (the GIN trigram index helps from
  // three characters on).
  struct TextMatch {
    std::string join;   // "JOIN <table> f ON ..." or empty
    std::string where;  // a boolean condition using placeholder ?<param_no>
    std::string rank;   // ORDER BY terms (best first), or empty when there is no score
    std::vector<std::string> params;  // to bind at ?<param_no>, ?<param_no + 1>, ...
  };
  // `key_expr` is the searched row's key (e.g. "p.id"); `scan_columns` the columns the short query
  // scans on SQLite (comma-separated, e.g. "p.title,p.category,p.attributes").
  TextMatch MatchText(std::string_view table, std::string_view key, std::string_view key_expr,
                      std::string_view scan_columns, std::string_view q, int param_no) const;
  // The statement that (re)indexes one document; binds ?1 key, ?2 title, ?3 body.
  std::string IndexText(std::string_view table, std::string_view key) const;
  // The statement that removes one document; binds ?1 key.
  std::string UnindexText(std::string_view table, std::string_view key) const;

 private:
  SqlDialect kind_;
};

// `s` escaped for a LIKE/ILIKE pattern with ESCAPE '\' and wrapped in % … % (a substring).
std::string LikeContains(std::string_view s);

}  // namespace xd

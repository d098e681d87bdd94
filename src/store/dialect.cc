#include "store/dialect.h"

#include <algorithm>

namespace xd {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Calls on_literal(begin, end) for every stretch of `sql` that is a string literal, quoted
// identifier or comment, and on_param(number_text, bare) for every `?` placeholder; the rest is
// passed to on_text. One scanner for rewriting and counting.
template <class Text, class Param>
void Scan(std::string_view sql, Text on_text, Param on_param) {
  size_t i = 0, n = sql.size();
  while (i < n) {
    char c = sql[i];
    size_t start = i;
    if (c == '\'' || c == '"') {
      char close = c;
      ++i;
      while (i < n) {
        if (sql[i] == close) {
          // A doubled quote is an escaped quote inside the literal.
          if (i + 1 < n && sql[i + 1] == close) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      on_text(sql.substr(start, i - start));
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      on_text(sql.substr(start, i - start));
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      on_text(sql.substr(start, i - start));
    } else if (c == '?') {
      ++i;
      while (i < n && IsDigit(sql[i])) ++i;
      on_param(sql.substr(start + 1, i - start - 1));
    } else {
      while (i < n && sql[i] != '\'' && sql[i] != '"' && sql[i] != '?' &&
             !(sql[i] == '-' && i + 1 < n && sql[i + 1] == '-') &&
             !(sql[i] == '/' && i + 1 < n && sql[i + 1] == '*')) {
        ++i;
      }
      on_text(sql.substr(start, i - start));
    }
  }
}

// SQLite's numbering: `?N` is N; a bare `?` is one more than the largest so far.
struct Numbering {
  int largest = 0;
  int Next(std::string_view digits) {
    int number = 0;
    if (digits.empty()) {
      number = largest + 1;
    } else {
      for (char d : digits) number = std::min(number * 10 + (d - '0'), 1'000'000);
    }
    largest = std::max(largest, number);
    return number;
  }
};

}  // namespace

std::string RewritePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  Numbering numbering;
  Scan(
      sql, [&](std::string_view text) { out += text; },
      [&](std::string_view digits) {
        out += '$';
        out += std::to_string(numbering.Next(digits));
      });
  return out;
}

int CountPlaceholders(std::string_view sql) {
  Numbering numbering;
  Scan(
      sql, [](std::string_view) {}, [&](std::string_view digits) { numbering.Next(digits); });
  return numbering.largest;
}

std::string Dialect::JsonText(std::string_view column, std::string_view key) const {
  if (kind_ == SqlDialect::kSqlite)
    return "json_extract(" + std::string(column) + ",'$." + std::string(key) + "')";
  return "(" + std::string(column) + "->>'" + std::string(key) + "')";
}

std::string Dialect::JsonInt(std::string_view column, std::string_view key) const {
  if (kind_ == SqlDialect::kSqlite) return JsonText(column, key);
  return "(" + std::string(column) + "->>'" + std::string(key) + "')::bigint";
}

std::string Dialect::IdsIn(std::string_view param) const {
  if (kind_ == SqlDialect::kSqlite) return "(SELECT value FROM json_each(" + std::string(param) + "))";
  return "(SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(" + std::string(param) +
         " AS jsonb)))";
}

std::string Dialect::Greatest(std::string_view a, std::string_view b) const {
  std::string fn = kind_ == SqlDialect::kSqlite ? "max(" : "GREATEST(";
  return fn + std::string(a) + "," + std::string(b) + ")";
}

std::string Dialect::Least(std::string_view a, std::string_view b) const {
  std::string fn = kind_ == SqlDialect::kSqlite ? "min(" : "LEAST(";
  return fn + std::string(a) + "," + std::string(b) + ")";
}

std::string LikeContains(std::string_view s) {
  std::string like = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  like += '%';
  return like;
}

Dialect::TextMatch Dialect::MatchText(std::string_view table, std::string_view key,
                                      std::string_view key_expr, std::string_view scan_columns,
                                      std::string_view q, int param_no) const {
  TextMatch m;
  std::string p = "?" + std::to_string(param_no);
  std::string t(table);
  if (kind_ == SqlDialect::kPostgres) {
    // One path for every length: ILIKE is the match contract; the GIN trigram indexes on title and
    // body serve it from three characters on. similarity() ranks.
    m.join = "JOIN " + t + " f ON f." + std::string(key) + " = " + std::string(key_expr);
    m.where = "(f.title ILIKE " + p + " OR f.body ILIKE " + p + ")";
    m.params = {LikeContains(q), std::string(q)};
    std::string raw = "?" + std::to_string(param_no + 1);
    m.rank = "similarity(f.title, " + raw + ") DESC, similarity(f.body, " + raw + ") DESC";
    return m;
  }
  size_t chars = std::count_if(q.begin(), q.end(), [](char c) { return (c & 0xC0) != 0x80; });
  if (chars >= 3) {
    // A phrase query: the trigram tokenizer then matches q as a substring.
    std::string phrase = "\"";
    for (char c : q) phrase += (c == '"') ? std::string("\"\"") : std::string(1, c);
    phrase += "\"";
    m.join = "JOIN " + t + " f ON f.rowid = " + std::string(key_expr);
    m.where = t + " MATCH " + p;
    m.params = {phrase};
    m.rank = "bm25(" + t + ")";
    return m;
  }
  std::string where;
  std::string_view cols = scan_columns;
  while (!cols.empty()) {
    size_t comma = cols.find(',');
    std::string_view col = cols.substr(0, comma);
    if (!where.empty()) where += " OR ";
    where += std::string(col) + " LIKE " + p + " ESCAPE '\\'";
    cols = comma == std::string_view::npos ? std::string_view() : cols.substr(comma + 1);
  }
  m.where = "(" + where + ")";
  m.params = {LikeContains(q)};
  return m;
}

std::string Dialect::IndexText(std::string_view table, std::string_view key) const {
  std::string k = kind_ == SqlDialect::kSqlite ? "rowid" : std::string(key);
  return "INSERT INTO " + std::string(table) + "(" + k + ", title, body) VALUES(?1, ?2, ?3)";
}

std::string Dialect::UnindexText(std::string_view table, std::string_view key) const {
  std::string k = kind_ == SqlDialect::kSqlite ? "rowid" : std::string(key);
  return "DELETE FROM " + std::string(table) + " WHERE " + k + " = ?1";
}

}  // namespace xd

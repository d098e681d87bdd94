#include "store/internal/pg_conn.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "base/messages.h"
#include "store/dialect.h"

namespace xd::internal {
namespace {

// Type OIDs (src/include/catalog/pg_type.dat); libpq does not export them.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// A pipelined batch is sent whole before its results are read (blocking mode): bounded so the
// replies cannot outgrow the socket buffers while we are still sending.
constexpr size_t kMaxPipeline = 1000;

bool StartsWith(const char *s, std::string_view prefix) {
  return s && std::string_view(s).substr(0, prefix.size()) == prefix;
}

// The parameters of one call as libpq wants them: NUL-terminated text, int8 for integers.
struct Bound {
  std::vector<std::string> text;
  std::vector<const char *> values;
  std::vector<Oid> types;
  std::string kinds;  // one letter per parameter, part of the statement cache key

  explicit Bound(std::span<const Param> params) {
    text.reserve(params.size());
    for (const Param &p : params) {
      switch (p.kind()) {
        case Param::Kind::kNull:
          text.emplace_back();
          types.push_back(0);
          kinds += 'n';
          break;
        case Param::Kind::kInt:
          text.push_back(std::to_string(p.int_value()));
          types.push_back(kInt8Oid);
          kinds += 'i';
          break;
        case Param::Kind::kText:
          text.emplace_back(p.text());
          types.push_back(0);
          kinds += 't';
          break;
      }
    }
    for (size_t i = 0; i < params.size(); ++i) {
      values.push_back(params[i].kind() == Param::Kind::kNull ? nullptr : text[i].c_str());
    }
  }
  int count() const { return static_cast<int>(values.size()); }
};

// Parameters the statement never mentions (callers bind a fixed numbering and leave some out,
// e.g. catalog search's filters) get type text: the server cannot infer a type for them and
// would refuse the statement. Mentioned ones keep what the context gives them.
void TypeUnusedParams(const std::string &text, std::vector<Oid> *types) {
  std::vector<bool> used(types->size(), false);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') continue;
    size_t j = i + 1, n = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') n = n * 10 + static_cast<size_t>(text[j++] - '0');
    if (j > i + 1 && n >= 1 && n <= used.size()) used[n - 1] = true;
  }
  constexpr Oid kTextOid = 25;
  for (size_t k = 0; k < types->size(); ++k) {
    if (!used[k] && (*types)[k] == 0) (*types)[k] = kTextOid;
  }
}

std::string CacheKey(std::string_view sql, const Bound &b) {
  std::string key(sql);
  key += '\0';
  key += b.kinds;
  return key;
}

// An integer column's text; a numeric's only when it is integral ("7", "7.000").
std::optional<int64_t> ParseInt(const char *s, int len) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s, s + len, v);
  if (ec != std::errc()) return std::nullopt;
  if (ptr != s + len && *ptr == '.') {
    for (++ptr; ptr != s + len && *ptr == '0'; ++ptr) {
    }
  }
  if (ptr != s + len) return std::nullopt;
  return v;
}

Result<Rows> ToRows(const PGresult *res) {
  Rows rows;
  int nrows = PQntuples(res), ncols = PQnfields(res);
  rows.resize(nrows);
  std::vector<Oid> types(ncols);
  for (int c = 0; c < ncols; ++c) types[c] = PQftype(res, c);
  for (int r = 0; r < nrows; ++r) {
    Row &row = rows[r];
    row.cells.resize(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) continue;
      Row::Cell &cell = row.cells[c];
      cell.null = false;
      const char *v = PQgetvalue(res, r, c);
      int len = PQgetlength(res, r, c);
      switch (types[c]) {
        case kBoolOid:
          cell.i = v[0] == 't' ? 1 : 0;
          break;
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid:
        case kNumericOid:
        case kFloat4Oid:
        case kFloat8Oid: {
          std::optional<int64_t> i;
          if (types[c] != kFloat4Oid && types[c] != kFloat8Oid) i = ParseInt(v, len);
          if (!i) {
            return Fail(ErrorCode::INTERNAL, std::string("column \"") + PQfname(res, c) + "\" is " +
                                                 std::string(v, len) +
                                                 ", not an integer; the store holds integers only");
          }
          cell.i = *i;
          break;
        }
        default:
          cell.s.assign(v, len);
          break;
      }
    }
  }
  return rows;
}

int64_t Changes(const PGresult *res) {
  if (PQresultStatus(res) == PGRES_TUPLES_OK) return PQntuples(res);
  const char *n = PQcmdTuples(const_cast<PGresult *>(res));
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

bool Good(const PGresult *res) {
  auto st = PQresultStatus(res);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

Error MapPgError(const char *sqlstate, bool connection_bad, std::string message) {
  // `message` (the server's words, naming tables and constraints) is for logs; users read the
  // reason's catalogue message (base/messages.h).
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (connection_bad) return Error{ErrorCode::UNAVAILABLE, "database connection lost: " + message, Msg::STORE_UNAVAILABLE, {}};
  if (StartsWith(sqlstate, "23")) return Error{ErrorCode::CONFLICT, message, Msg::DATA_CONFLICT, {}};
  if (StartsWith(sqlstate, "40001") || StartsWith(sqlstate, "40P01") ||
      StartsWith(sqlstate, "55P03")) {
    return Error{ErrorCode::ABORTED, message, Msg::ABORTED, {}};
  }
  // Connection exceptions, shutdowns, out of resources (disk full), system I/O errors.
  if (StartsWith(sqlstate, "08") || StartsWith(sqlstate, "57P") || StartsWith(sqlstate, "53") ||
      StartsWith(sqlstate, "58")) {
    return Error{ErrorCode::UNAVAILABLE, "database unavailable: " + message, Msg::STORE_UNAVAILABLE, {}};
  }
  return Error{ErrorCode::INTERNAL, message, std::nullopt, {}};
}

Result<std::unique_ptr<PgConn>> PgConn::Open(std::string url, size_t statement_cache) {
  PGconn *c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    return std::unexpected(MapPgError(nullptr, true, "cannot connect to " + url + ": " + msg));
  }
  // Notices (e.g. "terminating connection due to immediate shutdown") would go to stderr; what
  // matters reaches the caller as an error.
  PQsetNoticeProcessor(
      c, [](void *, const char *) {}, nullptr);
  return std::unique_ptr<PgConn>(
      new PgConn(std::move(url), c, statement_cache == 0 ? 1 : statement_cache));
}

PgConn::~PgConn() { PQfinish(conn_); }

Status PgConn::EnsureConnected() {
  if (lost_in_tx_)
    return Fail(ErrorCode::UNAVAILABLE, "database connection lost inside a transaction; roll back");
  if (PQstatus(conn_) == CONNECTION_OK) return RunSessionSetup();
  if (in_tx_) {
    lost_in_tx_ = true;
    return Fail(ErrorCode::UNAVAILABLE, "database connection lost inside a transaction; roll back");
  }
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return std::unexpected(
        MapPgError(nullptr, true, "reconnect to " + url_ + ": " + PQerrorMessage(conn_)));
  }
  // The server's prepared statements died with the old session.
  lru_.clear();
  by_key_.clear();
  ++reconnects_;
  setup_pending_ = !session_setup_.empty();
  return RunSessionSetup();
}

Status PgConn::RunSessionSetup() {
  if (!setup_pending_) return Ok();
  // A session without its setup must not serve: until this succeeds, every call tries again.
  PGresult *res = PQexec(conn_, session_setup_.c_str());
  Status s = Ok();
  if (!Good(res)) s = std::unexpected(LastError(res, "session setup"));
  PQclear(res);
  if (s) setup_pending_ = false;
  return s;
}

std::vector<std::pair<std::string, std::string>> PgConn::TakeNotifications() {
  std::vector<std::pair<std::string, std::string>> out;
  if (PQstatus(conn_) != CONNECTION_OK) return out;
  (void)PQconsumeInput(conn_);
  while (PGnotify *n = PQnotifies(conn_)) {
    out.emplace_back(n->relname, n->extra ? n->extra : "");
    PQfreemem(n);
  }
  return out;
}

const PgConn::Prepared *PgConn::Lookup(const std::string &key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

const PgConn::Prepared &PgConn::Insert(std::string key, std::vector<std::string> *evicted) {
  while (lru_.size() >= capacity_) {
    evicted->push_back(lru_.back().name);
    by_key_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Prepared{key, "xd" + std::to_string(++next_name_)});
  by_key_.emplace(std::move(key), lru_.begin());
  return lru_.front();
}

void PgConn::Forget(const std::string &key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  lru_.erase(it->second);
  by_key_.erase(it);
}

Error PgConn::LastError(const PGresult *res, std::string_view what) {
  bool bad = PQstatus(conn_) == CONNECTION_BAD;
  if (bad && in_tx_) lost_in_tx_ = true;
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
  if (!msg || !*msg) msg = PQerrorMessage(conn_);
  return MapPgError(state, bad, std::string(what) + ": " + msg);
}

void PgConn::NoteTransactionState() {
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      in_tx_ = false;
      break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      in_tx_ = true;
      break;
    default:  // unknown: the connection is gone; a transaction with it
      if (in_tx_) lost_in_tx_ = true;
      break;
  }
}

Result<PGresult *> PgConn::Execute(std::string_view sql, Params params) {
  RETURN_IF_ERROR(EnsureConnected());
  Bound b(std::span<const Param>(params.begin(), params.size()));
  std::string key = CacheKey(sql, b);
  const Prepared *p = Lookup(key);
  if (!p) {
    std::vector<std::string> evicted;
    p = &Insert(key, &evicted);
    for (const auto &name : evicted) PQclear(PQexec(conn_, ("DEALLOCATE " + name).c_str()));
    std::string text = RewritePlaceholders(sql);
    TypeUnusedParams(text, &b.types);
    PGresult *res = PQprepare(conn_, p->name.c_str(), text.c_str(), b.count(), b.types.data());
    ++prepares_;
    if (!Good(res)) {
      Error e = LastError(res, "prepare");
      e.message += " (in: " + text.substr(0, 300) + ")";  // which statement, for the operator
      PQclear(res);
      Forget(key);
      NoteTransactionState();
      return std::unexpected(e);
    }
    PQclear(res);
  }
  PGresult *res =
      PQexecPrepared(conn_, p->name.c_str(), b.count(), b.values.data(), nullptr, nullptr, 0);
  NoteTransactionState();
  if (!Good(res)) {
    Error e = LastError(res, "exec");
    // 26000: the server does not know the statement (e.g. a DEALLOCATE ALL behind our back).
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (StartsWith(state, "26000")) Forget(key);
    PQclear(res);
    return std::unexpected(e);
  }
  return res;
}

Result<Rows> PgConn::Query(std::string_view sql, Params params) {
  ASSIGN_OR_RETURN(PGresult * res, Execute(sql, params));
  Result<Rows> rows = ToRows(res);
  PQclear(res);
  return rows;
}

Result<int64_t> PgConn::Exec(std::string_view sql, Params params) {
  ASSIGN_OR_RETURN(PGresult * res, Execute(sql, params));
  int64_t n = Changes(res);
  PQclear(res);
  return n;
}

Status PgConn::ExecScript(const std::string &sql) {
  RETURN_IF_ERROR(EnsureConnected());
  PGresult *res = PQexec(conn_, sql.c_str());
  NoteTransactionState();
  Status out = Ok();
  if (!Good(res)) out = std::unexpected(LastError(res, "script"));
  PQclear(res);
  return out;
}

Status PgConn::Begin(std::string_view mode) {
  if (in_tx_) return Fail(ErrorCode::INTERNAL, "Begin inside a transaction");
  return ExecScript(mode.empty() ? "BEGIN" : "BEGIN " + std::string(mode));
}

Status PgConn::Commit() {
  // COMMIT of a failed transaction answers "ROLLBACK" without an error: refuse it instead.
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    (void)ExecScript("ROLLBACK");
    return Fail(ErrorCode::INTERNAL, "commit of a failed transaction; rolled back");
  }
  return ExecScript("COMMIT");
}

Status PgConn::Rollback() {
  if (lost_in_tx_ || PQstatus(conn_) != CONNECTION_OK) {
    lost_in_tx_ = false;
    in_tx_ = false;
    return Ok();  // the server rolled it back when the session ended
  }
  return ExecScript("ROLLBACK");
}

std::vector<Result<PgConn::Outcome>> PgConn::Pipeline(std::span<const Statement> statements) {
  std::vector<Result<Outcome>> out(statements.size(), Outcome{});
  auto fail_all = [&](const Error &e) {
    for (auto &o : out) o = std::unexpected(e);
    return std::move(out);
  };
  if (statements.size() > kMaxPipeline) {
    return fail_all(Error{ErrorCode::LIMIT_EXCEEDED, "too many statements in one pipeline"});
  }
  if (auto s = EnsureConnected(); !s) return fail_all(s.error());
  if (PQenterPipelineMode(conn_) != 1) return fail_all(LastError(nullptr, "pipeline"));

  // What each result read back belongs to.
  enum class Kind { kDeallocate, kPrepare, kQuery };
  struct Expect {
    Kind kind;
    size_t index;
    std::string key;
  };
  std::vector<Expect> expect;
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Statement &st = statements[i];
    Bound b(st.params);
    std::string key = CacheKey(st.sql, b);
    const Prepared *p = Lookup(key);
    if (!p) {
      std::vector<std::string> evicted;
      p = &Insert(key, &evicted);
      for (const auto &name : evicted) {
        sent = sent && PQsendQueryParams(conn_, ("DEALLOCATE " + name).c_str(), 0, nullptr, nullptr,
                                         nullptr, nullptr, 0) == 1;
        expect.push_back({Kind::kDeallocate, i, ""});
      }
      std::string text = RewritePlaceholders(st.sql);
      TypeUnusedParams(text, &b.types);
      sent = sent &&
             PQsendPrepare(conn_, p->name.c_str(), text.c_str(), b.count(), b.types.data()) == 1;
      ++prepares_;
      expect.push_back({Kind::kPrepare, i, key});
    }
    sent = sent && PQsendQueryPrepared(conn_, p->name.c_str(), b.count(), b.values.data(), nullptr,
                                       nullptr, 0) == 1;
    expect.push_back({Kind::kQuery, i, ""});
  }
  sent = sent && PQpipelineSync(conn_) == 1;
  if (!sent) {
    Error e = LastError(nullptr, "pipeline send");
    lru_.clear();  // which statements reached the server is unknown
    by_key_.clear();
    PQexitPipelineMode(conn_);
    return fail_all(e);
  }

  std::vector<bool> done(statements.size(), false);
  bool broken = false;
  for (const Expect &x : expect) {
    PGresult *res = PQgetResult(conn_);
    if (!res) {
      broken = true;
      break;
    }
    auto st = PQresultStatus(res);
    if (x.kind == Kind::kPrepare && !Good(res)) Forget(x.key);
    if (!done[x.index] && (x.kind != Kind::kDeallocate)) {
      if (st == PGRES_PIPELINE_ABORTED) {
        out[x.index] =
            Fail(ErrorCode::ABORTED, "not run: an earlier statement of the pipeline failed");
        done[x.index] = true;
      } else if (!Good(res)) {
        out[x.index] =
            std::unexpected(LastError(res, x.kind == Kind::kPrepare ? "prepare" : "exec"));
        done[x.index] = true;
      } else if (x.kind == Kind::kQuery) {
        if (Result<Rows> rows = ToRows(res)) {
          out[x.index] = Outcome{std::move(*rows), Changes(res)};
        } else {
          out[x.index] = std::unexpected(rows.error());
        }
        done[x.index] = true;
      }
    }
    PQclear(res);
    PQclear(PQgetResult(conn_));  // the NULL that ends each command's results
    if (PQstatus(conn_) == CONNECTION_BAD) {
      broken = true;
      break;
    }
  }
  if (!broken) {
    PGresult *sync = PQgetResult(conn_);
    broken = !sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC;
    PQclear(sync);
  }
  if (broken) {
    Error e = LastError(nullptr, "pipeline");
    for (size_t i = 0; i < out.size(); ++i) {
      if (!done[i]) out[i] = std::unexpected(e);
    }
    lru_.clear();
    by_key_.clear();
  }
  if (PQexitPipelineMode(conn_) != 1 && PQstatus(conn_) == CONNECTION_OK) {
    // Replies we could not account for are still queued: start a clean session rather than
    // read them as the answers to later calls.
    PQreset(conn_);
    lru_.clear();
    by_key_.clear();
    ++reconnects_;
  }
  NoteTransactionState();
  return out;
}

}  // namespace xd::internal

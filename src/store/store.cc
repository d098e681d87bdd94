#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <type_traits>

#include "store/internal/backend.h"
#include "store/internal/event_rows.h"

namespace xd {

Json Row::JsonAt(size_t col) const {
  if (cells[col].null) return Json();
  return StoredJson(cells[col].s);
}

std::string IdListParam(const std::vector<int64_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

Status Reader::QueryEach(std::string_view sql, Params params, const std::function<Status(const Row&)>& fn) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  for (const Row& row : rows) RETURN_IF_ERROR(fn(row));
  return Ok();
}

Result<std::optional<Row>> Reader::QueryOne(std::string_view sql, Params params) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows[0]));
}

Result<int64_t> Reader::QueryInt(std::string_view sql, Params params) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty() || rows[0].cells.empty()) return int64_t{0};
  return rows[0].Int(0);
}

namespace internal {
bool IsPostgresUrl(std::string_view path) { return path.starts_with("postgresql://") || path.starts_with("postgres://"); }
}  // namespace internal

Store::Store(const StoreOptions& options, const Clock& clock) : options_(options), clock_(clock), ids_(clock) {}

Store::~Store() { Close(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, const Clock& clock) {
  auto store = std::unique_ptr<Store>(new Store(options, clock));
  if (internal::IsPostgresUrl(options.path)) {
    if (options.schema != StoreSchema::kTrading)
      return Fail(ErrorCode::INTERNAL, "the analytics store is a SQLite file, not " + options.path);
    ASSIGN_OR_RETURN(store->impl_, internal::OpenPgStore(store->options_, store->clock_, store->ids_));
  } else {
    ASSIGN_OR_RETURN(store->impl_, internal::OpenSqliteStore(store->options_, store->clock_, store->ids_));
  }
  return store;
}

void Store::Submit(Command command, Completion done) { impl_->Submit(std::move(command), std::move(done)); }

Status Store::WatchRows(std::vector<std::string> tables, RowListener listener) {
  return impl_->WatchRows(std::move(tables), std::move(listener));
}

Status Store::Execute(Command command) {
  std::promise<Status> p;
  auto f = p.get_future();
  Submit(std::move(command), [&p](Status s) { p.set_value(std::move(s)); });
  return f.get();
}

void Store::Close() {
  if (impl_) impl_->Close();
}

StoreStats Store::stats() const { return impl_->stats(); }
bool Store::writable() const { return impl_->writable(); }
int64_t Store::visible_commits() const { return impl_->visible_commits(); }
int64_t Store::durable_commits() const { return impl_->durable_commits(); }
int64_t Store::durable_event_seq() const { return impl_->durable_event_seq(); }
Status Store::WaitDurable(int64_t commits, int timeout_ms) { return impl_->WaitDurable(commits, timeout_ms); }
Status Store::Backup(const std::string& dest_path) { return impl_->Backup(dest_path); }

Store::Lease Store::Borrow() {
  static_assert(!std::is_copy_constructible_v<Lease> && !std::is_move_constructible_v<Lease>,
                "a lease returns its connection once");
  int index = 0;
  Reader* reader = impl_->Acquire(&index);
  return Lease{this, reader, index};
}

Store::Lease::~Lease() { store->impl_->Release(index); }

Result<std::vector<Store::Event>> Store::ReadEvents(int64_t after_seq, int limit) {
  return Read([&](Reader& r) { return xd::ReadEvents(r, after_seq, limit); });
}

std::string_view ActorKindName(Actor::Kind kind) {
  switch (kind) {
    case Actor::Kind::kSystem: return "system";
    case Actor::Kind::kUser: return "user";
    case Actor::Kind::kApiKey: return "api_key";
  }
  return "system";
}

std::optional<Actor::Kind> ActorKindFromName(std::string_view name) {
  for (auto k : {Actor::Kind::kSystem, Actor::Kind::kUser, Actor::Kind::kApiKey})
    if (ActorKindName(k) == name) return k;
  return std::nullopt;
}

Json Store::Event::Envelope() const {
  return Json{{"id", IdString(seq)},
              {"type", head.type},
              {"schema_version", head.schema_version},
              {"aggregate_id", IdString(head.aggregate_id)},
              {"merchant_id", head.merchant_id ? Json(IdString(head.merchant_id)) : Json(nullptr)},
              {"actor", Json{{"kind", ActorKindName(actor.kind)}, {"id", actor.id ? Json(IdString(actor.id)) : Json(nullptr)}}},
              {"occurred_at", FormatRfc3339(occurred_at_ms)},
              {"data", payload}};
}

Result<std::vector<Store::Event>> internal::ReadEventRows(Reader& r, int64_t after_seq, int limit, int64_t up_to_seq,
                                                          const std::vector<std::string>& types, const PayloadRead& payloads) {
  std::string sql = std::string("SELECT seq, type, schema_version, aggregate_id, merchant_id, actor_kind, actor_id, ") +
                    (payloads.read ? "payload" : "NULL") + ", created_at_ms FROM events WHERE seq > ? AND seq <= ?";
  if (!types.empty()) {
    // The types are the consumer's constants, not outside text: literals (one statement per
    // consumer), after checking each is a plain event type name.
    sql += " AND type IN (";
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string& t = types[i];
      if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; }))
        return Fail(ErrorCode::INTERNAL, "not an event type: " + t);
      sql += (i ? ",'" : "'") + t + "'";
    }
    sql += ")";
  }
  sql += " ORDER BY seq LIMIT ?";
  ASSIGN_OR_RETURN(Rows rows, r.Query(sql, {after_seq, up_to_seq, int64_t{limit}}));
  std::vector<Store::Event> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    Store::Event e;
    e.seq = row.Int(0);
    e.head = EventHead{row.Str(1), static_cast<int>(row.Int(2)), row.Int(3), row.Int(4)};
    e.actor = Actor{ActorKindFromName(row.Str(5)).value_or(Actor::Kind::kSystem), row.Int(6)};
    if (payloads.read) e.payload = payloads.skip.empty() ? row.JsonAt(7) : StoredJsonWithout(row.Str(7), payloads.skip);
    e.occurred_at_ms = row.Int(8);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Store::Event>> ReadEvents(Reader& r, int64_t after_seq, int limit, int64_t up_to_seq) {
  return internal::ReadEventRows(r, after_seq, limit, up_to_seq, {});
}

Result<int64_t> LastEventSeq(Reader& r) {
  ASSIGN_OR_RETURN(int64_t newest, r.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM events"));
  // After retention deleted every event, the end of the outbox is what it deleted last.
  ASSIGN_OR_RETURN(int64_t pruned, r.QueryInt("SELECT COALESCE(MAX(pruned_through_seq), 0) FROM outbox_retention"));
  return std::max(newest, pruned);
}

Result<int64_t> GetCursor(Reader& r, std::string_view consumer) {
  return r.QueryInt("SELECT seq FROM consumer_cursors WHERE name=?", {consumer});
}

Status SetCursor(Tx& tx, std::string_view consumer, int64_t seq) {
  return tx
      .Run("INSERT INTO consumer_cursors(name, seq) VALUES(?,?) ON CONFLICT(name) DO UPDATE SET seq=excluded.seq",
            {consumer, seq})
      ;
}

}  // namespace xd

// pipeline_bench: durable commands per second through xd::Store's group-commit pipeline
// (WAL synced before completions, a temp file) at several batch caps, against raw SQLite doing the
// same transaction one-per-commit and N-per-commit. The command is the order-like one of
// src/store/crash_child.cc: one UPDATE of a counter row and two INSERTs.
//
// Each configuration runs `--reps` times on a fresh database; the run with the median rate
// is printed as one JSON line (with every run's rate beside it). A run submits up to
// `--commands` commands, keeping at most `--window` in flight, and stops submitting after
// `--max-seconds`; the clock stops when the last completion arrives.
//
// Single-threaded driver; the store's sync thread runs the completions.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "base/log.h"
#include "store/store.h"

namespace {

struct Options {
  int64_t commands = 200'000;
  int64_t window = 0;  // commands in flight; 0 = max(1000, 10 × the batch cap)
  double max_seconds = 2.0;
  int reps = 3;
  std::vector<int> caps = {1, 10, 100, 1000};
  std::vector<int> raw_per_commit = {1, 1000};
  std::string dir;  // where the temp databases live (default: $TMPDIR or /tmp)
};

struct RunResult {
  int64_t commands = 0;
  int64_t failed = 0;
  double seconds = 0;
  double mean_batch = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(commands) / seconds : 0; }
};

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// A fresh directory for one run's database; removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& parent) {
    std::string tmpl = parent + "/xd_pipeline_bench_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(2);
    }
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS probe_counter(id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO probe_counter VALUES(1, 0)",
    "CREATE TABLE IF NOT EXISTS probe_a(id INTEGER PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS probe_b(id INTEGER PRIMARY KEY)",
};
constexpr const char* kUpdate = "UPDATE probe_counter SET n = n + 1 WHERE id = 1";
constexpr const char* kInsertA = "INSERT INTO probe_a VALUES(?)";
constexpr const char* kInsertB = "INSERT INTO probe_b VALUES(?)";

RunResult RunPipeline(const Options& opt, int cap) {
  TempDir dir(opt.dir);
  // Enough in flight to fill every batch, few enough that draining after the time limit
  // stays short.
  const int64_t window = opt.window > 0 ? opt.window : std::max<int64_t>(1000, int64_t{10} * cap);
  xd::RealClock clock;
  auto opened = xd::Store::Open(
      {.path = dir.File("bench.db"), .readers = 1, .max_batch = cap,
       .max_queue = static_cast<size_t>(window) + 16, .sync_full = true},
      clock);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    std::exit(2);
  }
  xd::Store& store = **opened;
  xd::Status setup = store.Execute([](xd::Tx& tx) -> xd::Status {
    for (const char* sql : kSchema) RETURN_IF_ERROR(tx.Exec(sql));
    return xd::Ok();
  });
  if (!setup) {
    std::fprintf(stderr, "schema: %s\n", setup.error().message.c_str());
    std::exit(2);
  }
  xd::StoreStats before = store.stats();

  std::counting_semaphore<> slots(window);
  std::atomic<int64_t> ok{0}, failed{0};
  auto start = SteadyClock::now();
  int64_t submitted = 0;
  for (int64_t i = 0; i < opt.commands; ++i) {
    if ((i & 255) == 0 && SecondsSince(start) >= opt.max_seconds) break;
    slots.acquire();
    store.Submit(
        [i](xd::Tx& tx) -> xd::Status {
          RETURN_IF_ERROR(tx.Exec(kUpdate));
          RETURN_IF_ERROR(tx.Exec(kInsertA, {i}));
          return tx.Run(kInsertB, {i});
        },
        [&](xd::Status s) {
          (s ? ok : failed).fetch_add(1, std::memory_order_relaxed);
          slots.release();
        });
    ++submitted;
  }
  // Every completion releases one slot: owning all of them again means all are done.
  for (int64_t i = 0; i < window; ++i) slots.acquire();
  RunResult r;
  r.seconds = SecondsSince(start);
  r.commands = ok.load();
  r.failed = failed.load();
  xd::StoreStats after = store.stats();
  int64_t batches = after.batches - before.batches;
  r.mean_batch = batches > 0 ? static_cast<double>(after.commands - before.commands) / static_cast<double>(batches) : 0;
  store.Close();
  if (r.commands + r.failed != submitted) {
    std::fprintf(stderr, "pipeline: %lld submitted but %lld completed\n", static_cast<long long>(submitted),
                 static_cast<long long>(r.commands + r.failed));
  }
  return r;
}

void SqliteCheck(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(2);
  }
}

void SqliteExec(sqlite3* db, const char* sql) { SqliteCheck(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql); }

// Raw SQLite, same pragmas as the store's writer connection, `per_commit` commands per
// BEGIN IMMEDIATE … COMMIT, no savepoints, prepared statements reused.
RunResult RunRawSqlite(const Options& opt, int per_commit) {
  TempDir dir(opt.dir);
  sqlite3* db = nullptr;
  SqliteCheck(db, sqlite3_open_v2(dir.File("raw.db").c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
              "open");
  SqliteExec(db,
             "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; "
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  for (const char* sql : kSchema) SqliteExec(db, sql);
  sqlite3_stmt *update = nullptr, *insert_a = nullptr, *insert_b = nullptr;
  SqliteCheck(db, sqlite3_prepare_v2(db, kUpdate, -1, &update, nullptr), "prepare");
  SqliteCheck(db, sqlite3_prepare_v2(db, kInsertA, -1, &insert_a, nullptr), "prepare");
  SqliteCheck(db, sqlite3_prepare_v2(db, kInsertB, -1, &insert_b, nullptr), "prepare");
  auto step = [db](sqlite3_stmt* st) {
    SqliteCheck(db, sqlite3_step(st), "step");
    sqlite3_reset(st);
  };

  RunResult r;
  int64_t batches = 0;
  auto start = SteadyClock::now();
  for (int64_t i = 0; i < opt.commands;) {
    if (SecondsSince(start) >= opt.max_seconds) break;
    SqliteExec(db, "BEGIN IMMEDIATE");
    int64_t end = std::min(opt.commands, i + per_commit);
    for (; i < end; ++i) {
      step(update);
      sqlite3_bind_int64(insert_a, 1, i);
      step(insert_a);
      sqlite3_bind_int64(insert_b, 1, i);
      step(insert_b);
    }
    SqliteExec(db, "COMMIT");
    ++batches;
    r.commands = i;
  }
  r.seconds = SecondsSince(start);
  r.mean_batch = batches > 0 ? static_cast<double>(r.commands) / static_cast<double>(batches) : 0;
  sqlite3_finalize(update);
  sqlite3_finalize(insert_a);
  sqlite3_finalize(insert_b);
  sqlite3_close(db);
  return r;
}

template <class F>
void Report(const Options& opt, std::string_view bench, int cap, F&& run) {
  std::vector<RunResult> runs;
  for (int i = 0; i < opt.reps; ++i) runs.push_back(run());
  std::vector<RunResult> sorted = runs;
  std::sort(sorted.begin(), sorted.end(), [](const RunResult& a, const RunResult& b) { return a.rate() < b.rate(); });
  const RunResult& m = sorted[sorted.size() / 2];
  std::string all;
  for (const auto& r : runs) all += fmt::format("{}{:.0f}", all.empty() ? "" : ",", r.rate());
  std::printf(
      "{\"bench\":\"%.*s\",\"max_batch\":%d,\"commands\":%lld,\"failed\":%lld,\"seconds\":%.3f,\"commands_per_s\":%.0f,"
      "\"mean_batch\":%.1f,\"runs_commands_per_s\":[%s]}\n",
      static_cast<int>(bench.size()), bench.data(), cap, static_cast<long long>(m.commands), static_cast<long long>(m.failed),
      m.seconds, m.rate(), m.mean_batch, all.c_str());
  std::fflush(stdout);
}

std::vector<int> ParseList(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

void Usage() {
  std::fprintf(stderr,
               "usage: pipeline_bench [--commands N] [--window N] [--max-seconds S] [--reps N]\n"
               "                      [--caps 1,10,100,1000] [--raw 1,1000] [--dir DIR]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  const char* tmp = std::getenv("TMPDIR");
  opt.dir = tmp && *tmp ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) {
      Usage();
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--commands") opt.commands = std::atoll(v);
    else if (a == "--window") opt.window = std::atoll(v);
    else if (a == "--max-seconds") opt.max_seconds = std::atof(v);
    else if (a == "--reps") opt.reps = std::atoi(v);
    else if (a == "--caps") opt.caps = ParseList(v);
    else if (a == "--raw") opt.raw_per_commit = ParseList(v);
    else if (a == "--dir") opt.dir = v;
    else {
      Usage();
      return 2;
    }
  }
  if (opt.commands <= 0 || opt.window < 0 || opt.reps <= 0) {
    Usage();
    return 2;
  }
  xd::SetLogLevel("warn");
  for (int cap : opt.caps) Report(opt, "pipeline", cap, [&] { return RunPipeline(opt, cap); });
  for (int n : opt.raw_per_commit) Report(opt, "sqlite_raw", n, [&] { return RunRawSqlite(opt, n); });
  return 0;
}

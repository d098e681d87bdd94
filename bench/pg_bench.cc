// PostgreSQL round trips: does libpq's pipeline mode pay for the store's commands? On a private
// cluster (tests/pg_cluster.h, fsync on: as in production) over loopback TCP, one connection runs
// N commands, each "insert an order row, take one unit of stock" (two statements in a
// transaction), four ways:
//   per-statement    BEGIN, INSERT, UPDATE, COMMIT: four round trips per command
//   pipelined        the same four statements in one pipeline: one round trip per command
//   batch            group commit: BEGIN, then a SAVEPOINT + two statements + RELEASE per
//                    command, COMMIT — one round trip per statement, one commit per batch
//   batch-pipelined  the whole batch in one pipeline: one round trip, one commit per batch
// Prints one JSON line per mode: commands/s, round trips, and the process's CPU per command.
#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "store/internal/pg_conn.h"
#include "tests/pg_cluster.h"

using xd::internal::PgConn;

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Run {
  int64_t commands = 0;
  int64_t round_trips = 0;
};

constexpr const char* kInsert = "INSERT INTO orders(id, sku_id, qty) VALUES(?1, ?2, 1)";
constexpr const char* kTake = "UPDATE skus SET stock = stock - 1 WHERE id = ?1 AND stock >= 1";

bool Must(const xd::Status& s) {
  if (!s) fmt::print(stderr, "error: {}\n", s.error().message);
  return static_cast<bool>(s);
}

Run PerStatement(PgConn& c, int64_t n, int64_t* next_id) {
  Run r;
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = ++*next_id;
    if (!Must(c.Begin()) || !Must(c.Run(kInsert, {id, int64_t{1}})) ||
        !Must(c.Run(kTake, {int64_t{1}})) || !Must(c.Commit()))
      std::exit(1);
    r.round_trips += 4;
    ++r.commands;
  }
  return r;
}

Run Pipelined(PgConn& c, int64_t n, int64_t* next_id) {
  Run r;
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = ++*next_id;
    std::vector<PgConn::Statement> st = {
        {"BEGIN", {}}, {kInsert, {id, int64_t{1}}}, {kTake, {int64_t{1}}}, {"COMMIT", {}}};
    for (auto& o : c.Pipeline(st)) {
      if (!o) {
        fmt::print(stderr, "error: {}\n", o.error().message);
        std::exit(1);
      }
    }
    ++r.round_trips;
    ++r.commands;
  }
  return r;
}

Run Batch(PgConn& c, int64_t n, int batch, bool pipelined, int64_t* next_id) {
  Run r;
  for (int64_t done = 0; done < n; done += batch) {
    std::vector<int64_t> ids;
    for (int k = 0; k < batch; ++k) ids.push_back(++*next_id);
    if (pipelined) {
      std::vector<PgConn::Statement> st;
      st.push_back({"BEGIN", {}});
      for (int k = 0; k < batch; ++k) {
        st.push_back({"SAVEPOINT c", {}});
        st.push_back({kInsert, {ids[k], int64_t{1}}});
        st.push_back({kTake, {int64_t{1}}});
        st.push_back({"RELEASE c", {}});
      }
      st.push_back({"COMMIT", {}});
      for (auto& o : c.Pipeline(st)) {
        if (!o) {
          fmt::print(stderr, "error: {}\n", o.error().message);
          std::exit(1);
        }
      }
      ++r.round_trips;
    } else {
      if (!Must(c.Begin())) std::exit(1);
      for (int k = 0; k < batch; ++k) {
        if (!Must(c.Run("SAVEPOINT c")) || !Must(c.Run(kInsert, {ids[k], int64_t{1}})) ||
            !Must(c.Run(kTake, {int64_t{1}})) || !Must(c.Run("RELEASE c")))
          std::exit(1);
      }
      if (!Must(c.Commit())) std::exit(1);
      r.round_trips += 2 + 4 * batch;
    }
    r.commands += batch;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 5000;
  int batch = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--commands")) n = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoi(argv[i + 1]);
  }
  auto cluster = xd::testing::PgCluster::Start(/*durable=*/true);
  if (!cluster) {
    fmt::print(stderr, "cannot start PostgreSQL: {}\n", cluster.error().message);
    return 1;
  }
  auto url = (*cluster)->CreateSchema("bench");
  if (!url) return 1;
  auto conn = PgConn::Open(*url);
  if (!conn) return 1;
  PgConn& c = **conn;
  if (!Must(c.ExecScript(
          "CREATE TABLE orders(id BIGINT PRIMARY KEY, sku_id BIGINT, qty BIGINT);"
          "CREATE TABLE skus(id BIGINT PRIMARY KEY, stock BIGINT NOT NULL CHECK(stock >= 0));"
          "INSERT INTO skus VALUES(1, 1000000000)")))
    return 1;
  int64_t next_id = 0;
  auto measure = [&](const char* mode, auto fn) {
    fn(n / 10);  // warm: statements prepared, caches filled
    double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    Run r = fn(n);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = CpuSeconds() - cpu0;
    fmt::print(
        "{{\"bench\":\"pg_round_trips\",\"mode\":\"{}\",\"commands\":{},\"batch\":{},\"seconds\":{:"
        ".3f},"
        "\"commands_per_s\":{:.0f},\"round_trips_per_command\":{:.3f},\"client_cpu_us_per_"
        "command\":{:.1f}}}\n",
        mode, r.commands, batch, s, r.commands / s, double(r.round_trips) / r.commands,
        cpu * 1e6 / r.commands);
  };
  measure("per-statement", [&](int64_t k) { return PerStatement(c, k, &next_id); });
  measure("pipelined", [&](int64_t k) { return Pipelined(c, k, &next_id); });
  measure("batch", [&](int64_t k) { return Batch(c, k, batch, false, &next_id); });
  measure("batch-pipelined", [&](int64_t k) { return Batch(c, k, batch, true, &next_id); });
  return 0;
}

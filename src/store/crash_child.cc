// Crash-test child: submits order-like commands (one UPDATE + two INSERTs) as fast as it
// can and prints the number of each command whose success was acknowledged. The parent
// kills it with SIGKILL at a random moment and checks the store.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/log.h"
#include "store/store.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  xd::SetLogLevel("off");  // stdout carries only acknowledgements
  xd::RealClock clock;
  auto store = xd::Store::Open({.path = argv[1], .readers = 1, .max_batch = 100}, clock);
  if (!store) return 3;
  int64_t start = std::atoll(argv[2]);
  auto created = (*store)->Execute([](xd::Tx& tx) -> xd::Status {
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE IF NOT EXISTS probe_counter(id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"));
    RETURN_IF_ERROR(tx.Exec("INSERT OR IGNORE INTO probe_counter VALUES(1, 0)"));
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE IF NOT EXISTS probe_a(id INTEGER PRIMARY KEY)"));
    return tx.Run("CREATE TABLE IF NOT EXISTS probe_b(id INTEGER PRIMARY KEY)");
  });
  if (!created) return 4;  // no "ready": the parent reports that the child died while opening
  std::printf("ready\n");  // the parent starts its kill timer now (opening is slow under ASan)
  std::fflush(stdout);
  for (int64_t i = start;; ++i) {
    (*store)->Submit(
        [i](xd::Tx& tx) -> xd::Status {
          RETURN_IF_ERROR(tx.Exec("UPDATE probe_counter SET n = n + 1 WHERE id = 1"));
          RETURN_IF_ERROR(tx.Exec("INSERT INTO probe_a VALUES(?)", {i}));
          return tx.Run("INSERT INTO probe_b VALUES(?)", {i});
        },
        [i](xd::Status s) {
          if (s) {
            std::printf("%lld\n", static_cast<long long>(i));
            std::fflush(stdout);
          }
        });
    // Bounds the queue. A failure means the store is broken and nothing more can be acknowledged.
    if (i % 64 == 0 && !(*store)->Execute([](xd::Tx&) { return xd::Ok(); })) return 5;
  }
}

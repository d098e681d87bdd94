// xd_pg_cluster: a private PostgreSQL cluster for scripts (scripts/e2e.sh runs the browser tests
// on it): starts one (tests/pg_cluster.h), creates database `xd` with pg_trgm, prints its URL on
// stdout, and stops the cluster and removes its directory on SIGTERM/SIGINT — sent by the
// script, or by the kernel when the script dies (PR_SET_PDEATHSIG). If this process dies any
// other way, the cluster's watchdog stops it.
//
//   build/tests/xd_pg_cluster > url.txt &   # the URL appears on the first line; kill -TERM to stop
//   build/tests/xd_pg_cluster --durable    # fsync and full-page writes on, as in production (bench)
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "tests/pg_cluster.h"

int main(int argc, char** argv) {
  const bool durable = argc > 1 && std::string_view(argv[1]) == "--durable";
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);  // taken by the wait below, never by a handler
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;  // the parent died before the line above
  auto cluster = xd::testing::PgCluster::Start(durable);
  if (!cluster) {
    std::fprintf(stderr, "xd_pg_cluster: %s\n", cluster.error().message.c_str());
    return 1;
  }
  auto url = (*cluster)->CreateDatabase("xd");
  if (!url) {
    std::fprintf(stderr, "xd_pg_cluster: %s\n", url.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", url->c_str());
  std::fflush(stdout);
  int signal_no = 0;
  sigwait(&stop, &signal_no);
  return 0;  // ~PgCluster stops the server and removes the directory
}

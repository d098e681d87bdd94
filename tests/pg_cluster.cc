#include "tests/pg_cluster.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/free_port.h"

namespace xd::testing {
namespace {

namespace fs = std::filesystem;

// The unprivileged user the cluster runs as when this process is root.
struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> ClusterUser() {
  RunAs as;
  if (geteuid() != 0) return as;
  const passwd *pw = getpwnam("postgres");
  if (!pw) return Fail(ErrorCode::UNAVAILABLE, "running as root and there is no postgres user");
  as.drop = true;
  as.uid = pw->pw_uid;
  as.gid = pw->pw_gid;
  return as;
}

// Runs argv (as the cluster user), output appended to `log`; returns the exit code.
int RunLogged(const std::vector<std::string> &args, const std::string &cwd,
              const std::string &log) {
  auto as = ClusterUser();
  if (!as) return 126;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (as->drop && (setgroups(0, nullptr) != 0 || setgid(as->gid) != 0 || setuid(as->uid) != 0))
      _exit(126);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char *> argv;
    for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string Tail(const std::string &path, size_t max_chars = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_chars ? s.substr(s.size() - max_chars) : s;
}

// A short superuser session on database `db` running `sql` (simple query protocol).
Status AdminExec(const std::string &url, const std::string &sql) {
  PGconn *c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    return Fail(ErrorCode::UNAVAILABLE, "connect " + url + ": " + msg);
  }
  PGresult *r = PQexec(c, sql.c_str());
  Status out = Ok();
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    bool exists = state && std::string_view(state) == "42P04";
    out = Fail(exists ? ErrorCode::ALREADY_EXISTS : ErrorCode::INTERNAL,
               sql + ": " + PQerrorMessage(c));
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

}  // namespace

std::string PgCluster::BinDir() {
  const char *env = std::getenv("XD_PG_BINDIR");
  std::string dir = env && *env ? env : "/usr/lib/postgresql/15/bin";
  std::error_code ec;
  if (!fs::exists(dir + "/initdb", ec) || !fs::exists(dir + "/pg_ctl", ec)) return "";
  return dir;
}

Result<std::unique_ptr<PgCluster>> PgCluster::Start(bool durable) {
  std::string bin = BinDir();
  if (bin.empty())
    return Fail(ErrorCode::UNAVAILABLE, "PostgreSQL binaries not found (postgresql-15)");
  ASSIGN_OR_RETURN(RunAs as, ClusterUser());
  auto c = std::unique_ptr<PgCluster>(new PgCluster());
  c->bin_ = bin;
  std::string tmpl = (fs::temp_directory_path() / "xd-pg-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return Fail(ErrorCode::UNAVAILABLE, "mkdtemp failed");
  c->dir_ = tmpl;
  if (as.drop && chown(c->dir_.c_str(), as.uid, as.gid) != 0) {
    return Fail(ErrorCode::UNAVAILABLE, "cannot hand " + c->dir_ + " to the postgres user");
  }

  // The watchdog: blocks reading a pipe whose only write end is ours (close-on-exec, so the server
  // does not inherit it); when this process ends for any reason the read returns and the watchdog
  // shuts the server down (SIGQUIT = immediate) and removes the directory.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Fail(ErrorCode::UNAVAILABLE, "pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[0], 0);
    int devnull = open("/dev/null",
                       O_WRONLY);  // not the test's output: ctest waits for it to close
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    setsid();  // outside the test's process group: a signal to the group does
               // not stop cleanup
    const char *script =
        "cat >/dev/null; f=\"$1/data/postmaster.pid\"; "
        "if [ -f \"$f\" ]; then p=$(head -n1 \"$f\"); kill "
        "-QUIT \"$p\" 2>/dev/null; "
        "i=0; while kill -0 \"$p\" 2>/dev/null && [ $i -lt "
        "200 ]; do sleep 0.05; i=$((i+1)); done; fi; "
        "rm -rf \"$1\"";
    execl("/bin/sh", "sh", "-c", script, "sh", c->dir_.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    return Fail(ErrorCode::UNAVAILABLE, "fork failed");
  }
  c->watchdog_fd_ = fds[1];
  c->watchdog_pid_ = pid;

  std::string log = c->dir_ + "/initdb.log";
  int rc = RunLogged({bin + "/initdb", "-D", c->dir_ + "/data", "-U", "xd", "-A", "trust", "-E",
                      "UTF8", "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync", "--no-instructions"},
                     c->dir_, log);
  if (rc != 0)
    return Fail(ErrorCode::UNAVAILABLE, "initdb failed (" + std::to_string(rc) + "): " + Tail(log));
  {
    // Test settings: no fsync (the data is thrown away; commits still reach the OS, so an
    // immediate restart keeps them), few connections, small memory.
    std::ofstream conf(c->dir_ + "/data/postgresql.conf", std::ios::app);
    conf << "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" << c->dir_ << "'\n"
         << (durable ? "" : "fsync = off\nfull_page_writes = off\n")
         << "max_connections = 60\nshared_buffers = 32MB\nlog_min_messages = warning\n"
         // Disk: no WAL kept for replicas or beyond a small bound (a CI machine once ran out).
         << "wal_level = minimal\nmax_wal_senders = 0\nmax_wal_size = 64MB\nmin_wal_size = 32MB\n";
  }
  // A port handed out and released by the kernel can be taken by someone else before the server
  // binds it; try a few.
  Status started = Fail(ErrorCode::UNAVAILABLE, "not started");
  for (int attempt = 0; attempt < 3 && !started; ++attempt) {
    c->port_ = FreePort();
    started = c->StartServer();
  }
  RETURN_IF_ERROR(started);
  return c;
}

Status PgCluster::StartServer() {
  std::string log = dir_ + "/server.log";
  int rc = RunLogged({bin_ + "/pg_ctl", "start", "-w", "-t", "60", "-D", dir_ + "/data", "-l", log,
                      "-o", "-p " + std::to_string(port_)},
                     dir_, dir_ + "/pg_ctl.log");
  if (rc != 0) {
    return Fail(ErrorCode::UNAVAILABLE,
                "pg_ctl start failed (" + std::to_string(rc) + "): " + Tail(log));
  }
  running_ = true;
  return Ok();
}

Status PgCluster::StopServer(bool immediate) {
  if (!running_) return Ok();
  int rc = RunLogged({bin_ + "/pg_ctl", "stop", "-w", "-t", "60", "-D", dir_ + "/data", "-m",
                      immediate ? "immediate" : "fast"},
                     dir_, dir_ + "/pg_ctl.log");
  if (rc != 0)
    return Fail(ErrorCode::INTERNAL, "pg_ctl stop failed: " + Tail(dir_ + "/pg_ctl.log"));
  running_ = false;
  return Ok();
}

Status PgCluster::Restart() {
  RETURN_IF_ERROR(StopServer(/*immediate=*/true));
  return StartServer();
}

PgCluster::~PgCluster() {
  (void)StopServer(/*immediate=*/false);
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
  if (watchdog_fd_ >= 0) close(watchdog_fd_);
  if (watchdog_pid_ > 0) waitpid(watchdog_pid_, nullptr, 0);
}

std::string PgCluster::Url(std::string_view db) const {
  return "postgresql://xd@127.0.0.1:" + std::to_string(port_) + "/" + std::string(db);
}

namespace {
Status CheckIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 60) return Fail(ErrorCode::INVALID_FIELD, "bad identifier");
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
      return Fail(ErrorCode::INVALID_FIELD, "bad identifier");
    }
  }
  return Ok();
}
}  // namespace

Result<std::string> PgCluster::CreateSchema(std::string_view name) {
  RETURN_IF_ERROR(CheckIdentifier(name));
  if (!shared_db_) {
    RETURN_IF_ERROR(CreateDatabase("xd"));
    shared_db_ = true;
  }
  RETURN_IF_ERROR(AdminExec(Url("xd"), "CREATE SCHEMA " + std::string(name)));
  return Url("xd") + "?options=-csearch_path%3D" + std::string(name) + "%2Cpublic";
}

Status PgCluster::DropSchema(std::string_view name) {
  RETURN_IF_ERROR(CheckIdentifier(name));
  // Bounded: a session the test left open must not hang the run.
  return AdminExec(Url("xd"),
                   "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS " + std::string(name) + " CASCADE");
}

Result<std::string> PgCluster::CreateDatabase(std::string_view name) {
  RETURN_IF_ERROR(CheckIdentifier(name));
  // FILE_COPY: copies the template's files instead of logging every page (PG 15's default), several
  // times faster here.
  RETURN_IF_ERROR(
      AdminExec(Url("postgres"), "CREATE DATABASE " + std::string(name) + " STRATEGY FILE_COPY"));
  RETURN_IF_ERROR(AdminExec(Url(name), "CREATE EXTENSION pg_trgm"));
  return Url(name);
}

namespace {
struct Shared {
  std::unique_ptr<PgCluster> cluster;
  std::string reason;
  bool tried = false;
};
Shared &TheShared() {
  static Shared s;  // destroyed at exit: stops the cluster
  return s;
}
}  // namespace

PgCluster *SharedPgCluster() {
  Shared &s = TheShared();
  if (!s.tried) {
    s.tried = true;
    auto c = PgCluster::Start();
    if (c) {
      s.cluster = std::move(*c);
    } else {
      s.reason = c.error().message;
    }
  }
  return s.cluster.get();
}

const std::string &PgUnavailableReason() { return TheShared().reason; }

}  // namespace xd::testing

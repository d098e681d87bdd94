// Faults: a full disk (writes fail with 503, reads go on, writes resume when space
// returns, nothing corrupt), online backup and restore, graceful shutdown on SIGTERM.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "base/clock.h"
#include "base/json.h"
#include "store/store.h"
#include "tests/process.h"

namespace xd::testing {
namespace {

std::filesystem::path TempDir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / (std::string(name) + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Json Register(http::Client& c, const std::string& phone) {
  return c.Json("POST", "/api/v1/auth/register", Json{{"phone", phone}, {"password", "secret123"}, {"nickname", "f"}}).body;
}

TEST(Fault, DiskFullAnswers503ReadsContinueAndWritesResume) {
  auto dir = TempDir("xd_diskfull");
  auto mnt = dir / "small";
  std::filesystem::create_directories(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=6m") != 0) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
  std::string db = (mnt / "full.db").string();
  {
    ServerProcess server(XIAODIAN_BIN, db);
    ASSERT_TRUE(server.Start());
    http::Client c("127.0.0.1", server.port());
    std::string token = Register(c, "15100000001")["token"];
    ASSERT_FALSE(token.empty());
    // Fill the filesystem almost completely with a file we can delete later.
    {
      std::ofstream filler(mnt / "filler", std::ios::binary);
      std::string block(64 * 1024, 'x');
      while (filler.write(block.data(), block.size())) {
      }
    }
    std::filesystem::remove(mnt / "filler.tmp");
    // Writes now fail with a clear 503 (or succeed if they still fit), never a crash.
    int unavailable = 0;
    for (int i = 0; i < 300 && unavailable == 0; ++i) {
      auto r = c.Json("POST", "/api/v1/me/addresses",
                      Json{{"name", std::string(30, 'n')}, {"phone", "13800000000"}, {"region", std::string(90, 'r')}, {"detail", std::string(190, 'd')}},
                      token);
      if (r.status == 503) {
        ++unavailable;
        EXPECT_EQ(r.body["error"]["code"], "UNAVAILABLE") << r.body.dump();
      } else if (r.status != 201 && r.status != 422) {
        ADD_FAILURE() << "unexpected " << r.status << " " << r.body.dump();
      }
    }
    EXPECT_GT(unavailable, 0) << "the disk never filled";
    // Reads keep working.
    EXPECT_EQ(c.Json("GET", "/api/v1/me", nullptr, token).status, 200);
    // Space returns: writes resume.
    std::filesystem::remove(mnt / "filler");
    bool resumed = false;
    for (int i = 0; i < 50 && !resumed; ++i) {
      auto r = c.Json("POST", "/api/v1/me/addresses", Json{{"name", "n"}, {"phone", "13800000000"}, {"region", "r"}, {"detail", "d"}}, token);
      resumed = r.status == 201 || r.status == 422;  // 422: the 50-address limit, also a successful write path
      if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(resumed);
    EXPECT_EQ(c.Json("GET", "/healthz").status, 200);
    server.Stop();
  }
  EXPECT_EQ(RunCheck(XIAODIAN_BIN, db), 0);
  auto integrity = std::system(("sqlite3 " + db + " 'PRAGMA integrity_check' | grep -qx ok").c_str());
  EXPECT_EQ(integrity, 0) << "store corrupt after disk full";
  umount(mnt.c_str());
  std::filesystem::remove_all(dir);
}

TEST(Fault, OnlineBackupWhileServingRestoresAndChecks) {
  auto dir = TempDir("xd_backup");
  std::string db = (dir / "live.db").string(), copy = (dir / "copy.db").string();
  ASSERT_EQ(std::system((std::string(XIAODIAN_BIN) + " demo-data --db " + db + " > /dev/null 2>&1").c_str()), 0);
  ServerProcess server(XIAODIAN_BIN, db);
  ASSERT_TRUE(server.Start());
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};  // answered writes (201, or 422 once the address book is full)
  std::thread writer([&] {
    http::Client c("127.0.0.1", server.port());
    std::string token = Register(c, "15100000002")["token"];
    while (!stop) {
      int status = c.Json("POST", "/api/v1/me/addresses", Json{{"name", "n"}, {"phone", "13800000000"}, {"region", "r"}, {"detail", "d"}}, token)
                       .status;
      if (status == 201 || status == 422) ++writes;
    }
  });
  // The backup starts while the writer is writing.
  for (int i = 0; i < 5000 && writes.load() < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int before = writes.load();
  int rc = std::system((std::string(XIAODIAN_BIN) + " backup --db " + db + " --to " + copy + " > /dev/null 2>&1").c_str());
  // And the server kept serving writes while it ran or right after it.
  for (int i = 0; i < 5000 && writes.load() <= before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int after = writes.load();
  stop = true;
  writer.join();
  EXPECT_GE(before, 10) << "the writer never got going";
  EXPECT_GT(after, before) << "writes stopped during the backup";
  EXPECT_EQ(rc, 0);
  server.Stop();
  // Restore = serve from the copy: it passes the checks and serves the demo shop.
  EXPECT_EQ(RunCheck(XIAODIAN_BIN, copy), 0);
  ServerProcess restored(XIAODIAN_BIN, copy);
  ASSERT_TRUE(restored.Start());
  http::Client c("127.0.0.1", restored.port());
  EXPECT_EQ(c.Json("GET", "/api/v1/products?limit=5").body["items"].size(), 5u);
  restored.Stop();
  std::filesystem::remove_all(dir);
}

TEST(Fault, SigtermDrainsInFlightRequests) {
  auto dir = TempDir("xd_sigterm");
  std::string db = (dir / "t.db").string();
  ServerProcess server(XIAODIAN_BIN, db);
  ASSERT_TRUE(server.Start());
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      http::Client c("127.0.0.1", server.port());
      std::string phone = "1510000" + std::to_string(1000 + t);
      auto r = c.Json("POST", "/api/v1/auth/register", Json{{"phone", phone}, {"password", "secret123"}, {"nickname", "t"}});
      r.status == 201 ? ++ok : ++failed;
    });
  server.Stop();  // SIGTERM while registrations may be in flight
  for (auto& th : clients) th.join();
  // Every registration the server acknowledged is on disk.
  ServerProcess again(XIAODIAN_BIN, db);
  ASSERT_TRUE(again.Start());
  http::Client c("127.0.0.1", again.port());
  int present = 0;
  for (int t = 0; t < 4; ++t) {
    std::string phone = "1510000" + std::to_string(1000 + t);
    present += c.Json("POST", "/api/v1/auth/login", Json{{"phone", phone}, {"password", "secret123"}}).status == 200;
  }
  EXPECT_GE(present, ok.load());
  again.Stop();
  std::filesystem::remove_all(dir);
}

// `serve --demo` on a store that is not fresh: only the demo accounts seeded into the fresh
// store carry the cheap Argon2 cost; an account registered on the demo server gets the
// interactive one (the cost lives in each encoded hash, so both log in).
TEST(Serve, DemoLowersTheHashCostOfDemoAccountsOnly) {
  auto dir = TempDir("xd_democost");
  std::string db = (dir / "demo.db").string();
  ASSERT_EQ(std::system((std::string(XIAODIAN_BIN) + " demo-data --db " + db + " > /dev/null 2>&1").c_str()), 0);
  {
    ServerProcess server(XIAODIAN_BIN, db);
    server.fast_hash = false;
    ASSERT_TRUE(server.Start({"--demo"}));
    http::Client c("127.0.0.1", server.port());
    ASSERT_FALSE(Register(c, "15100000077")["token"].get<std::string>().empty());
    EXPECT_EQ(c.Json("POST", "/api/v1/auth/login", Json{{"phone", "15100000077"}, {"password", "secret123"}}).status, 200);
    EXPECT_EQ(c.Json("POST", "/api/v1/auth/login", Json{{"phone", "13700000001"}, {"password", "demo123"}}).status, 200);
    server.Stop();
  }
  FakeClock clock;
  auto store = Store::Open({.path = db}, clock);
  ASSERT_TRUE(store) << store.error().message;
  auto hash_of = [&](const std::string& phone) {
    return (*store)->Read([&](Reader& r) -> Result<std::string> {
      ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT password_hash FROM users WHERE phone=?", {phone}));
      return row ? row->Str(0) : std::string();
    }).value_or("");
  };
  EXPECT_NE(hash_of("15100000077").find("$m=16384,t=2,"), std::string::npos) << hash_of("15100000077");
  EXPECT_NE(hash_of("13700000001").find("$m=8,t=1,"), std::string::npos) << hash_of("13700000001");
  (*store)->Close();
  std::filesystem::remove_all(dir);
}

// A store path that cannot be opened is a clear error and exit 2, for every command (it
// crashed with SIGSEGV: the half-built app was stopped through null members).
TEST(Fault, UnopenableStoreIsAClearErrorAndExit2) {
  const std::string bin = XIAODIAN_BIN;
  for (const std::string args : {"serve --db /nonexistent/dir/x.db --listen 127.0.0.1:0 --log-level error",
                                 "check --db /nonexistent/x.db", "backup --db /nonexistent/x.db --to /nonexistent/y.db"}) {
    // `timeout`: were the server to start anyway, the test fails instead of hanging.
    std::string cmd = "timeout 30 " + bin + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int rc = pclose(p);
    ASSERT_TRUE(WIFEXITED(rc)) << args;
    EXPECT_EQ(WEXITSTATUS(rc), 2) << args << ": " << out;
    EXPECT_NE(out.find("error: "), std::string::npos) << args << ": " << out;
    EXPECT_NE(out.find("/nonexistent/"), std::string::npos) << args << ": " << out;
  }
}

}  // namespace
}  // namespace xd::testing

// Kill -9 at random moments while commands are being committed; after each restart every
// acknowledged command is present, and no command is present in part.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/store.h"

namespace xd {
namespace {

TEST(CrashTest, AcknowledgedCommandsSurviveSigkill) {
  auto dir = std::filesystem::temp_directory_path() / ("xd_crash_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "crash.db").string();
  std::mt19937 rng(42);
  std::set<int64_t> acked;
  int64_t next_start = 1;
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl(CRASH_CHILD, CRASH_CHILD, db.c_str(), std::to_string(next_start).c_str(), nullptr);
      _exit(127);
    }
    close(fds[1]);
    // Wait until the child has opened the store and made its tables ("ready"), then kill it
    // at a random moment of its work. (Killed while still opening, there was nothing to check.)
    std::string buf;
    char chunk[4096];
    ssize_t n;
    while (buf.find("ready\n") == std::string::npos && (n = read(fds[0], chunk, sizeof chunk)) > 0) buf.append(chunk, n);
    ASSERT_NE(buf.find("ready\n"), std::string::npos) << "the child died while opening the store";
    std::uniform_int_distribution<int> ms(30, 250);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    // Read every acknowledgement the child printed before it died.
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0) buf.append(chunk, n);
    close(fds[0]);
    size_t pos = buf.find("ready\n") + 6;
    while (true) {
      size_t nl = buf.find('\n', pos);
      if (nl == std::string::npos) break;
      int64_t id = std::stoll(buf.substr(pos, nl - pos));
      acked.insert(id);
      next_start = std::max(next_start, id + 1);
      pos = nl + 1;
    }
    next_start += 1'000'000;  // the next child never reuses a number the dead one may have written
    RealClock clock;
    auto store = Store::Open({.path = db, .readers = 1}, clock);
    ASSERT_TRUE(store) << store.error().message;
    auto check = (*store)->Read([&](Reader& r) -> Result<bool> {
      ASSIGN_OR_RETURN(int64_t a, r.QueryInt("SELECT count(*) FROM probe_a"));
      ASSIGN_OR_RETURN(int64_t b, r.QueryInt("SELECT count(*) FROM probe_b"));
      ASSIGN_OR_RETURN(int64_t n, r.QueryInt("SELECT n FROM probe_counter WHERE id=1"));
      ASSIGN_OR_RETURN(int64_t orphans,
                       r.QueryInt("SELECT count(*) FROM probe_a WHERE id NOT IN (SELECT id FROM probe_b)"));
      EXPECT_EQ(a, b) << "round " << round;
      EXPECT_EQ(a, n) << "round " << round;
      EXPECT_EQ(orphans, 0);
      for (int64_t id : acked) {
        ASSIGN_OR_RETURN(int64_t present, r.QueryInt("SELECT count(*) FROM probe_a WHERE id=?", {id}));
        if (present != 1) {
          ADD_FAILURE() << "acknowledged command " << id << " lost in round " << round;
          return false;
        }
      }
      return true;
    });
    ASSERT_TRUE(check && *check);
  }
  EXPECT_GT(acked.size(), 100u) << "the child should have acknowledged work before the kills";
  std::printf("crash_test: %d kills, %zu acknowledged commands all present\n", kRounds, acked.size());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xd

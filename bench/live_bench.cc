// live_bench: the live room stream's fan-out and a burst of orders on a pinned product (issue 18;
// decision 024). A forked child runs the server (its own process, so its memory is measured
// alone); this process opens N WebSocket viewers on loopback (one I/O thread), pins products back
// and forth, and times each pin from the host's request to each viewer's receipt. Then S slow
// viewers that never read while comments keep coming until they skip (the server's memory must
// level off),
// then B buyers ordering the pinned product at once, spread over the nodes (the live stock must
// come out exact: sold + left == allocated, none oversold, the nodes agreeing). Prints
// one JSON object; asserts nothing about time.
//
// Two nodes (--pg-url: a PostgreSQL database with an empty schema): two forked servers on it;
// viewers alternate between them and the host pins on the first, so the pin-to-viewer times of
// the first node's viewers (same node) and the second's (the pin reaches it through PostgreSQL's
// row notifications, Store::WatchRows) are reported apart.
//
// A like storm (--likers L --storm-s S): L signed-in viewers tap likes as fast as their requests
// go for S seconds while every viewer reads; reports the frames each viewer received over the
// storm and the server's CPU. --no-coalesce runs the server with the stream's coalescing off
// (state re-reads up to 1,000 a second per room, counts every 1 ms instead of every second):
// a bench-only setting of LiveHubOptions, not a flag of `serve`.
//
//   live_bench [--viewers 2000] [--rounds 20] [--slow 200] [--buyers 200] [--live-stock 100]
//              [--pg-url URL] [--likers 0] [--storm-s 10] [--no-coalesce 1]
//              [--slow-commenters 400] [--slow-comments-max 3000]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "app/app.h"
#include "base/log.h"
#include "http/asio.h"
#include "http/client.h"

namespace {

using namespace xd;
using http::net::ip::tcp;
namespace websocket = boost::beast::websocket;
using Steady = std::chrono::steady_clock;

int64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

// CPU seconds (user + system) the process has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));  // from field 3 (state) on
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct ServerSetup {
  std::string db;          // empty: a SQLite file in the bench's directory
  int node = 0;            // 0 seeds the admin
  bool coalesce = true;
};

// The server, in the child: serves until SIGTERM.
[[noreturn]] void Serve(const std::string& dir, int port_fd, const ServerSetup& setup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread: all inherit it
  SetLogLevel("warn");
  static RealClock clock;
  AppOptions o;
  o.db_path = setup.db.empty() ? dir + "/db" : setup.db;
  o.analytics_path = dir + "/analytics" + std::to_string(setup.node) + ".db";
  o.port = 0;
  o.http_threads = 1;
  o.hasher.cost = account::HashCost::kFast;
  o.live.max_streams_per_ip = 1'000'000;  // every viewer comes from 127.0.0.1
  o.live.max_streams = 1'000'000;
  if (!setup.coalesce) {
    o.live.room_updates_per_s = 1000;  // a state message per change (the hub's 1 ms floor)
    o.live.counts_interval_ms = 1;     // viewer and like counts every 1 ms instead of every 1 s
  }
  auto app = App::Create(o, clock);
  if (!app) {
    std::fprintf(stderr, "server: %s\n", app.error().message.c_str());
    _exit(1);
  }
  if (setup.node == 0 && !(*app)->EnsureAdmin("13800000000", "admin123")) _exit(1);
  uint16_t port = (*app)->Start();
  if (write(port_fd, &port, sizeof port) != sizeof port) _exit(1);
  int sig = 0;
  sigwait(&set, &sig);
  (*app)->Stop();
  _exit(0);
}

struct Viewers {
  http::net::io_context ioc;
  std::atomic<int64_t> target{0};  // the sku id whose pin is being timed
  std::atomic<int64_t> pinned_at_ns{0};
  std::atomic<int> seen{0}, connected{0}, failed{0};
  std::atomic<int64_t> frames{0}, counts_frames{0};  // messages received by reading viewers
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::vector<double> latencies_by_node[2];  // viewers of the pinning node, of the other one
};

// One viewer: reads every message; records the first one that shows the timed pin.
class Viewer : public std::enable_shared_from_this<Viewer> {
 public:
  Viewer(Viewers& v, bool slow, int node = 0)
      : v_(v), ws_(http::net::make_strand(v.ioc)), slow_(slow), node_(node) {}
  void Start(uint16_t port, const std::string& path) {
    path_ = path;
    auto& sock = boost::beast::get_lowest_layer(ws_);
    boost::system::error_code ec;
    sock.socket().open(tcp::v4(), ec);
    if (slow_) sock.socket().set_option(http::net::socket_base::receive_buffer_size(4096), ec);
    sock.async_connect(tcp::endpoint(http::net::ip::make_address("127.0.0.1"), port),
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec) return self->Fail();
                         self->ws_.async_handshake("127.0.0.1", self->path_,
                                                   [self](boost::system::error_code ec) {
                                                     if (ec) return self->Fail();
                                                     self->v_.connected++;
                                                     if (!self->slow_) self->Read();
                                                   });
                       });
  }

 private:
  void Fail() { v_.failed++; }
  void Read() {
    ws_.async_read(buf_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return;
      self->OnMessage(boost::beast::buffers_to_string(self->buf_.data()));
      self->buf_.consume(self->buf_.size());
      self->Read();
    });
  }
  void OnMessage(const std::string& m) {
    v_.frames++;
    if (m.find("\"type\":\"counts\"") != std::string::npos) v_.counts_frames++;
    const int64_t target = v_.target.load();
    if (target == 0 || seen_target_ == target) return;
    size_t p = m.find("\"pinned\":{");
    if (p == std::string::npos) return;
    size_t s = m.find("\"sku_id\":\"", p);
    if (s == std::string::npos ||
        m.compare(s + 10, std::to_string(target).size() + 1, std::to_string(target) + "\"") != 0)
      return;
    seen_target_ = target;
    const double ms = (Steady::now().time_since_epoch().count() - v_.pinned_at_ns.load()) / 1e6;
    {
      std::lock_guard lock(v_.mu);
      v_.latencies_ms.push_back(ms);
      v_.latencies_by_node[node_ == 0 ? 0 : 1].push_back(ms);
    }
    v_.seen++;
  }
  Viewers& v_;
  websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buf_;
  std::string path_;
  bool slow_;
  int node_;
  int64_t seen_target_ = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int64_t Metric(http::Client& c, const std::string& name) {
  http::Response r = c.Send("GET", "/metrics");
  size_t p = r.body.find("\n" + name + " ");
  return p == std::string::npos ? -1 : std::stoll(r.body.substr(p + name.size() + 2));
}

}  // namespace

int main(int argc, char** argv) {
  int viewers = 2000, rounds = 20, slow = 200, buyers = 200, live_stock = 100, likers = 0,
      storm_s = 10, slow_commenters = 400, slow_comments_max = 3000;
  bool coalesce = true;
  std::string pg_url;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (k == "--pg-url")
      pg_url = argv[i + 1];
    else if (k == "--likers")
      likers = v;
    else if (k == "--storm-s")
      storm_s = v;
    else if (k == "--no-coalesce")
      coalesce = v == 0;
    else if (k == "--viewers")
      viewers = v;
    else if (k == "--rounds")
      rounds = v;
    else if (k == "--slow")
      slow = v;
    else if (k == "--slow-commenters")
      slow_commenters = v;
    else if (k == "--slow-comments-max")
      slow_comments_max = v;
    else if (k == "--buyers")
      buyers = v;
    else if (k == "--live-stock")
      live_stock = v;
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("xd_live_bench_" + std::to_string(getpid())))
          .string();
  std::filesystem::create_directories(dir);
  // One server (SQLite), or two nodes on the PostgreSQL database: the first migrates the schema
  // and seeds the admin before the second starts.
  const int nodes = pg_url.empty() ? 1 : 2;
  std::vector<pid_t> children;
  std::vector<uint16_t> ports;
  for (int n = 0; n < nodes; ++n) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) Serve(dir, fds[1], ServerSetup{.db = pg_url, .node = n, .coalesce = coalesce});
    uint16_t p = 0;
    if (read(fds[0], &p, sizeof p) != sizeof p) return 1;
    children.push_back(pid);
    ports.push_back(p);
  }
  const uint16_t port = ports[0];
  auto rss_all = [&] {
    int64_t kib = 0;
    for (pid_t c : children) kib += RssKiB(c);
    return kib;
  };
  auto cpu_all = [&] {
    double s = 0;
    for (pid_t c : children) s += CpuSeconds(c);
    return s;
  };

  http::Client c("127.0.0.1", port);
  auto reg = [&](const std::string& phone, const std::string& nick) {
    return c
        .Json("POST", "/api/v1/auth/register",
              Json{{"phone", phone}, {"password", "secret123"}, {"nickname", nick}})
        .body.value("token", "");
  };
  std::string owner = reg("15900000001", "主播");
  std::string shop =
      c.Json("POST", "/api/v1/merchants", Json{{"kind", "c2c"}, {"name", "直播压测店"}}, owner)
          .body.value("id", "");
  auto product = [&](const std::string& title) {
    auto r = c.Json(
        "POST", "/api/v1/merchant/products",
        Json{{"title", title},
             {"category", "食品"},
             {"status", "on_sale"},
             {"skus", {{{"spec", {{"规格", "标准"}}}, {"price_fen", 9900}, {"stock", 100000}}}}},
        owner);
    return r.body["skus"][0].value("id", "");
  };
  std::string sku_a = product("爆款 A"), sku_b = product("爆款 B");
  auto room =
      c.Json("POST", "/api/v1/merchant/live/rooms",
             Json{{"title", "压测直播间"},
                  {"stream_url", "https://live.example.com/bench.m3u8"},
                  {"products",
                   {{{"sku_id", sku_a}, {"live_price_fen", 3900}, {"live_stock", live_stock}},
                    {{"sku_id", sku_b}, {"live_price_fen", 2900}, {"live_stock", live_stock}}}}},
             owner);
  const std::string room_id = room.body.value("id", "");
  c.Json("POST", "/api/v1/merchant/live/rooms/" + room_id + "/start", nullptr, owner);
  const std::string path = "/api/v1/live/rooms/" + room_id + "/stream";

  Viewers v;
  const int64_t rss_before = rss_all();
  std::vector<std::shared_ptr<Viewer>> all;
  for (int i = 0; i < viewers; ++i) {
    all.push_back(std::make_shared<Viewer>(v, false, i % nodes));
    all.back()->Start(ports[i % nodes], path);
  }
  std::thread io([&] { v.ioc.run(); });
  auto work = http::net::make_work_guard(v.ioc);
  auto wait_for = [](auto pred, int seconds) {
    auto deadline = Steady::now() + std::chrono::seconds(seconds);
    while (!pred() && Steady::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return pred();
  };
  wait_for([&] { return v.connected.load() + v.failed.load() >= viewers; }, 120);
  wait_for(
      [&] {
        int64_t streams = 0;
        for (uint16_t p : ports) {
          http::Client nc("127.0.0.1", p);
          streams += Metric(nc, "xd_live_streams");
        }
        return streams >= v.connected.load();
      },
      30);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // snapshots delivered: the viewers idle
  const int64_t rss_idle = rss_all();

  // Pins, timed from the host's request to each viewer's receipt.
  int complete_rounds = 0;
  for (int r = 0; r < rounds; ++r) {
    const std::string& sku = r % 2 ? sku_b : sku_a;
    v.seen = 0;
    v.target = std::stoll(sku);
    v.pinned_at_ns = Steady::now().time_since_epoch().count();
    c.Json("POST", "/api/v1/merchant/live/rooms/" + room_id + "/pin", Json{{"sku_id", sku}}, owner);
    if (wait_for([&] { return v.seen.load() >= v.connected.load(); }, 20)) ++complete_rounds;
  }
  std::vector<double> lat, lat_by_node[2];
  {
    std::lock_guard lock(v.mu);
    lat = v.latencies_ms;
    lat_by_node[0] = v.latencies_by_node[0];
    lat_by_node[1] = v.latencies_by_node[1];
  }

  // The like storm: likers tap as fast as their requests go; every reading viewer counts frames.
  Json storm = nullptr;
  if (likers > 0) {
    std::vector<std::string> liker_tokens;
    for (int i = 0; i < likers; ++i)
      liker_tokens.push_back(reg(fmt::format("157{:08d}", i), "点赞"));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // counts of the registrations settle
    std::atomic<bool> stop{false};
    std::atomic<int64_t> taps{0}, tap_errors{0};
    const int64_t frames0 = v.frames, counts0 = v.counts_frames;
    const double cpu0 = cpu_all();
    const auto t0 = Steady::now();
    std::vector<std::thread> tappers;
    for (int i = 0; i < likers; ++i)
      tappers.emplace_back([&, i] {
        http::Client lc("127.0.0.1", ports[i % nodes]);
        while (!stop) {
          auto r = lc.Json("POST", "/api/v1/live/rooms/" + room_id + "/likes",
                           Json{{"count", 1}}, liker_tokens[i]);
          (r.status == 200 ? taps : tap_errors)++;
        }
      });
    std::this_thread::sleep_for(std::chrono::seconds(storm_s));
    stop = true;
    for (auto& t : tappers) t.join();
    const double storm_wall_s = std::chrono::duration<double>(Steady::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the last counts arrive
    const double cpu_s = cpu_all() - cpu0;
    const int reading = std::max(1, v.connected.load());
    storm = Json{{"likers", likers},
                 {"seconds", storm_wall_s},
                 {"taps", taps.load()},
                 {"tap_errors", tap_errors.load()},
                 {"taps_per_s", static_cast<double>(taps.load()) / storm_wall_s},
                 {"frames_per_viewer", static_cast<double>(v.frames - frames0) / reading},
                 {"counts_frames_per_viewer", static_cast<double>(v.counts_frames - counts0) / reading},
                 {"server_cpu_s", cpu_s},
                 {"server_cpu_ms_per_tap",
                  taps.load() > 0 ? cpu_s * 1000 / static_cast<double>(taps.load()) : -1}};
  }

  // Slow viewers: connected (to the first node), never reading, while comments keep coming. A
  // comment is one message to every viewer at once, never coalesced (pins back to back are: the
  // room is re-read at most 20 times a second, so 100 pins filled no slow viewer's buffers). The
  // comments go on until the slow viewers' socket buffers and queues overflow (skips > 0, or
  // --slow-comments-max sent), then as many again: the server's RSS when the skips began and at
  // the end shows whether it levels off.
  const int64_t skips_before_slow = Metric(c, "xd_live_skips_total");
  const int64_t dropped_before_slow = Metric(c, "xd_live_dropped_total");
  for (int i = 0; i < slow; ++i) {
    all.push_back(std::make_shared<Viewer>(v, true));
    all.back()->Start(port, path);
  }
  wait_for([&] { return v.connected.load() + v.failed.load() >= viewers + slow; }, 60);
  v.target = 0;
  std::vector<std::string> commenters;
  if (slow > 0)
    for (int i = 0; i < slow_commenters; ++i)
      commenters.push_back(reg(fmt::format("156{:08d}", i), "评论"));
  const int64_t rss_slow_start = rss_all();
  // `n` comments of 144 bytes from the commenters in turn, over 4 connections; a commenter over
  // its rate (429) is passed by. Returns the comments accepted.
  std::atomic<size_t> next_commenter{0};
  std::atomic<int64_t> comments_refused{0};
  const std::string comment_text = [] {
    std::string t;
    while (t.size() < 144) t += "这件好看";  // 12 bytes each
    return t;
  }();
  auto comment_batch = [&](int64_t n) {
    std::atomic<int64_t> accepted{0}, attempts{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 4 && !commenters.empty(); ++t)
      senders.emplace_back([&] {
        http::Client cc("127.0.0.1", port);
        while (accepted.load() < n && attempts++ < 20 * n) {
          const std::string& who = commenters[next_commenter++ % commenters.size()];
          auto r = cc.Json("POST", "/api/v1/live/rooms/" + room_id + "/comments",
                           Json{{"text", comment_text}}, who);
          if (r.status == 201)
            accepted++;
          else
            comments_refused++;
        }
      });
    for (auto& t : senders) t.join();
    return accepted.load();
  };
  int64_t comments_to_first_skip = 0, slow_skips = 0;
  while (!commenters.empty() && comments_to_first_skip < slow_comments_max) {
    comments_to_first_skip += comment_batch(50);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the hub's writes catch up
    if ((slow_skips = Metric(c, "xd_live_skips_total") - skips_before_slow) > 0) break;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t rss_slow_first_skips = rss_all();
  const int64_t skips_at_first = Metric(c, "xd_live_skips_total") - skips_before_slow;
  const int64_t comments_after = slow_skips > 0 ? comment_batch(comments_to_first_skip) : 0;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t rss_slow_end = rss_all();
  const int64_t skips = Metric(c, "xd_live_skips_total") - skips_before_slow;
  const int64_t dropped = Metric(c, "xd_live_dropped_total") - dropped_before_slow;

  // The burst: every buyer orders the pinned product at once.
  c.Json("POST", "/api/v1/merchant/live/rooms/" + room_id + "/pin", Json{{"sku_id", sku_a}}, owner);
  std::vector<std::string> tokens;
  for (int i = 0; i < buyers; ++i) tokens.push_back(reg(fmt::format("158{:08d}", i), "买家"));
  // Buyers alternate between the nodes (i % nodes): with two, the live stock is taken by both
  // nodes' writers at once and must still come out exact.
  std::atomic<int> ok{0}, sold_out{0}, other{0}, retried{0};
  std::atomic<int> ok_by_node[2] = {0, 0};
  std::latch go(buyers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < buyers; ++i)
    threads.emplace_back([&, i] {
      http::Client bc("127.0.0.1", ports[i % nodes]);
      go.arrive_and_wait();
      http::Client::JsonResponse r{0, nullptr};
      // A 503 (PostgreSQL: a row lock outlasted the writer's retries; nothing committed) is
      // retried as a client does, with the same Idempotency-Key.
      for (int attempt = 0; attempt < 10; ++attempt) {
        r = bc.Json("POST", "/api/v1/checkout",
                    Json{{"items", {{{"sku_id", sku_a}, {"quantity", 1}}}},
                         {"address",
                          {{"name", "张三"},
                           {"phone", "13800000000"},
                           {"region", "上海市"},
                           {"detail", "1 号"}}},
                         {"activity", {{"live", {{"room_id", room_id}}}}}},
                    tokens[i], {{"Idempotency-Key", fmt::format("live-burst-{}", i)}});
        if (r.status != 503) break;
        retried++;
      }
      if (r.status == 201) {
        ok++;
        ok_by_node[i % nodes]++;
      } else if (r.status == 409) {
        sold_out++;
      } else {
        other++;
      }
    });
  const auto burst_start = Steady::now();
  go.arrive_and_wait();
  for (auto& t : threads) t.join();
  const double burst_ms =
      std::chrono::duration<double, std::milli>(Steady::now() - burst_start).count();
  // The room as each node reads it: the same sold and left on both.
  std::vector<Json> pinned_after;
  for (uint16_t p : ports) {
    http::Client nc("127.0.0.1", p);
    pinned_after.push_back(nc.Json("GET", "/api/v1/live/rooms/" + room_id).body["pinned"]);
  }
  const int64_t left = pinned_after[0].value("left", int64_t{-1});
  const int64_t sold = pinned_after[0].value("sold", int64_t{-1});
  bool nodes_agree = true;
  for (const Json& p : pinned_after)
    nodes_agree = nodes_agree && p.value("left", int64_t{-2}) == left &&
                  p.value("sold", int64_t{-2}) == sold;
  std::string admin =
      c.Json("POST", "/api/v1/auth/login", Json{{"phone", "13800000000"}, {"password", "admin123"}})
          .body.value("token", "");
  auto check = c.Json("GET", "/api/v1/admin/ledger/check", nullptr, admin);
  const int64_t unchanged = Metric(c, "xd_live_unchanged_total");

  work.reset();
  v.ioc.stop();
  io.join();
  for (pid_t ch : children) kill(ch, SIGTERM);
  for (pid_t ch : children) waitpid(ch, nullptr, 0);
  std::filesystem::remove_all(dir);

  const int connected = v.connected.load();
  Json out{{"bench", "live"},
           {"viewers", viewers},
           {"connected", connected},
           {"failed", v.failed.load()},
           {"pin_rounds", rounds},
           {"pin_rounds_all_received", complete_rounds},
           {"nodes", nodes},
           {"coalesce", coalesce},
           {"pin_to_viewer_ms",
            {{"samples", lat.size()},
             {"p50", Percentile(lat, 0.5)},
             {"p99", Percentile(lat, 0.99)},
             {"max", Percentile(lat, 1.0)}}},
           {"like_storm", storm},
           {"server_rss_kib",
            {{"before_viewers", rss_before},
             {"idle_viewers", rss_idle},
             {"slow_start", rss_slow_start},
             {"slow_end", rss_slow_end}}},
           {"server_kib_per_idle_viewer",
            connected > 0 ? static_cast<double>(rss_idle - rss_before) / connected : -1},
           {"slow_viewers", slow},
           {"slow_rss_growth_kib", rss_slow_end - rss_slow_start},
           // The slow phase: comments until the first skips, then as many again; RSS when the
           // skips began and at the end (levelled off: the growth between them stays small).
           {"slow_phase",
            {{"commenters", static_cast<int64_t>(commenters.size())},
             {"comments_to_first_skips", comments_to_first_skip},
             {"comments_after", comments_after},
             {"comments_refused", comments_refused.load()},
             {"skips_at_first", skips_at_first},
             {"rss_kib_start", rss_slow_start},
             {"rss_kib_first_skips", rss_slow_first_skips},
             {"rss_kib_end", rss_slow_end},
             {"rss_growth_after_skips_kib", rss_slow_end - rss_slow_first_skips}}},
           {"skips", skips},             // in the slow phase: queues dropped for the latest snapshot
           {"dropped_frames", dropped},  // messages those skips dropped (never sent)
           {"unchanged_rereads", unchanged},  // re-reads that sent nothing
           {"burst",
            {{"buyers", buyers},
             {"live_stock", live_stock},
             {"ordered", ok.load()},
             {"sold_out", sold_out.load()},
             {"other", other.load()},
             {"ms", burst_ms},
             {"ordered_by_node", nodes > 1
                                     ? Json::array({ok_by_node[0].load(), ok_by_node[1].load()})
                                     : Json::array({ok_by_node[0].load()})},
             {"retried_503", retried.load()},
             {"sold", sold},
             {"left", left},
             {"nodes_agree", nodes_agree},
             // Exact: every unit allocated is sold or left (sold + left == live_stock), none
             // oversold, and what was sold is what the buyers were told.
             {"exact", ok.load() == std::min(buyers, live_stock) && sold == ok.load() &&
                           sold + left == live_stock && nodes_agree}}},
           {"invariants_ok", check.body.value("ok", false)},
           {"live_ok", check.body.value("live_ok", false)}};
  if (nodes > 1) {
    auto stats = [](const std::vector<double>& l) {
      return Json{{"samples", l.size()},
                  {"p50", Percentile(l, 0.5)},
                  {"p99", Percentile(l, 0.99)},
                  {"max", Percentile(l, 1.0)}};
    };
    out["pin_to_viewer_ms_same_node"] = stats(lat_by_node[0]);
    out["pin_to_viewer_ms_other_node"] = stats(lat_by_node[1]);
  }
  std::printf("%s\n", out.dump().c_str());
  return out["burst"]["exact"].get<bool>() && out["invariants_ok"].get<bool>() ? 0 : 1;
}

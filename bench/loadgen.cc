// loadgen: a multi-connection HTTP/1.1 load generator for a running xiaodian server.
//
// Each connection is one virtual user (VU): an Asio C++20 coroutine holding one keep-alive
// socket, running one scenario in a loop (bench/README.md):
//   healthz   GET /healthz
//   product   GET /api/v1/products/{id} over the demo products
//   search    GET /api/v1/products?q=<Chinese word>
//   checkout  register a buyer per VU, then loop: checkout a random demo SKU → pay → sandbox
//             complete → wait for "paid" (the order's long poll); one op is one paid order
//   hot       the same, but every order buys one SKU created for the run
//   flash     a flash sale (秒杀) created for the run; one op = one checkout attempt in it by
//             a buyer chosen round-robin from a pool registered up front; 201 = success,
//             409 sold out / 422 per-user limit = expected refusal; afterwards the activity's
//             stock_left is read back and "exact" says successes == stock, nothing oversold
//   groupbuy  a group buy (拼团) created for the run; one op = list the product's forming
//             groups, join one with seats left (or open a new one), pay, sandbox complete;
//             afterwards every group touched is read back: paid_members <= size
//   coupon    a merchant coupon (quota N, 1 per user); one op = one claim attempt; "exact"
//             says successes == quota == the coupon's claimed count
//   member    a launch-day queue at the counter: a new shop's membership card limited to N
//             cards, 2N buyers; one op = one claim by the next buyer (a buyer who holds the card
//             gets it back: "held"); "exact" says new cards == limit == the programme's issued
//   feed      GET /api/v1/feed as an anonymous visitor (?device= per VU): a new feed, then its
//             next pages by the cursor, up to 3 pages, then a new feed again (issue 20)
//   feed_user the same signed in, VU i as buyer i of the scaled demo world (xiaodian demo-data
//             --scale: 13600000001…, demo123; --buyers of them are signed in during setup)
//   mixed     80% product/search reads, 15% cart adds, 5% full paid orders, plus a flash sale
//             whose attempts start in a burst at 40% of the run
// VUs are spread over --threads io_contexts (one thread each; nothing shared between threads
// but atomics). With --rate 0 the loop is closed (each VU starts its next op when the last
// ends); with --rate R ops start on a fixed global schedule and latency is measured from each
// op's intended start, so a stalled server cannot hide its queueing (coordinated omission).
//
// --url may be given several times (nodes of one deployment on one database): VU i talks to
// target i mod N, so the connections split evenly and one set of percentiles covers them all;
// setup and the read-back checks use the first target.
//
// The run ends by itself: no op starts after --duration-s or once --max-ops ops started;
// ops still running --grace-s after the deadline are abandoned and counted as errors.
// Prints one JSON line on stdout; progress and error samples go to stderr.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <vector>

#include <boost/asio.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using asio::awaitable;
using asio::use_awaitable;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  // --url, repeatable: one server or several nodes of one deployment (same database). VU i talks
  // to target i mod N; setup and the final reads use the first.
  std::vector<std::pair<std::string, uint16_t>> targets;
  std::string scenario = "healthz";
  int connections = 64;
  int threads = 1;
  double duration_s = 10;
  int64_t max_ops = 10'000'000;
  double rate = 0;        // ops per second; 0 = closed loop
  double grace_s = 10;    // after the deadline, how long running ops may take to finish
  double paid_timeout_s = 10;
  int buyers = 0;           // flash/groupbuy/coupon/mixed: buyer pool (0 = scenario default)
  int64_t promo_stock = 10000;  // flash: activity stock; coupon: total_quota
  int group_size = 5;
  int register_conns = 64;  // parallel connections that register the buyer pool
  // checkout/hot: "checkout" starts the payment in the checkout request ("pay":{}), as the
  // shop's cashier does; "separate" calls POST /orders/{id}/pay after it (one more round trip).
  std::string pay = "checkout";
  // feed_user: the first phone of the signed-in buyers (buyer i is this + i).
  int64_t feed_phone = 13600000001;
  // hot: the hot SKU's shop has a membership card (a level with 5% off) and every buyer holds
  // one, so each checkout runs the member pricing stage (issue 16: paid orders with member
  // pricing beside the figure without).
  bool members = false;
  // hot: each paid order is then shipped by the shop and confirmed by its buyer, so it completes
  // (and, with members, earns its points: points come at completion, decision 018).
  bool complete = false;
  // Shell commands run (std::system, waited for) right before the timed run starts and right
  // after its last op ends: bench/nodes.sh samples the servers' CPU there, so the setup
  // (registering the buyer pool) is not counted per op.
  std::string on_start, on_end;
};

struct HttpResponse {
  int status = 0;  // 0: the connection failed (body says why)
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

bool HeaderIs(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

std::string_view HeaderValue(std::string_view line) {
  size_t colon = line.find(':');
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return v;
}

// One keep-alive HTTP/1.1 connection, (re)connected on demand. Requests are sent one at a
// time; the response must carry Content-Length (the server always sends it).
class Conn {
 public:
  Conn(asio::io_context& ioc, tcp::endpoint ep, std::string host) : sock_(ioc), ep_(ep), host_(std::move(host)) {}

  awaitable<HttpResponse> Send(std::string_view method, std::string_view target, std::string_view body = {},
                               std::string_view headers = {}) {
    HttpResponse res;
    boost::system::error_code ec;
    if (!sock_.is_open()) {
      co_await sock_.async_connect(ep_, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return Failed(res, "connect: " + ec.message());
      sock_.set_option(tcp::no_delay(true), ec);
    }
    out_.clear();
    fmt::format_to(std::back_inserter(out_), "{} {} HTTP/1.1\r\nHost: {}\r\n{}", method, target, host_, headers);
    if (!body.empty() || method == "POST")
      fmt::format_to(std::back_inserter(out_), "Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
    out_ += "\r\n";
    out_ += body;
    co_await asio::async_write(sock_, asio::buffer(out_), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Failed(res, "write: " + ec.message());

    in_.clear();
    size_t header_end = std::string::npos, content_length = 0;
    bool close = false;
    for (;;) {
      if (header_end == std::string::npos) {
        size_t p = in_.find("\r\n\r\n");
        if (p != std::string::npos) {
          header_end = p + 4;
          if (in_.size() < 12 || in_.compare(0, 5, "HTTP/") != 0) co_return Failed(res, "malformed status line");
          res.status = std::atoi(in_.c_str() + 9);
          std::string_view head(in_.data(), p);
          for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
            size_t next = head.find("\r\n", pos + 2);
            std::string_view line = head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
            if (HeaderIs(line, "content-length")) content_length = std::strtoull(std::string(HeaderValue(line)).c_str(), nullptr, 10);
            if (HeaderIs(line, "connection") && HeaderValue(line).starts_with("close")) close = true;
            if (HeaderIs(line, "transfer-encoding")) co_return Failed(res, "chunked responses are not supported");
            pos = next;
          }
        }
      }
      if (header_end != std::string::npos && in_.size() >= header_end + content_length) break;
      size_t n = co_await sock_.async_read_some(asio::buffer(chunk_), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return Failed(res, "read: " + ec.message());
      in_.append(chunk_.data(), n);
    }
    res.body.assign(in_, header_end, content_length);
    if (close) Close();
    co_return res;
  }

  void Close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }

 private:
  HttpResponse Failed(HttpResponse& res, std::string why) {
    Close();
    res.status = 0;
    res.body = std::move(why);
    return res;
  }

  tcp::socket sock_;
  tcp::endpoint ep_;
  std::string host_;
  std::string out_, in_;
  std::array<char, 16384> chunk_;
};

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Json ParseBody(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }

// The first `"key":"value"` string in a JSON body, by a scan, for the paid-order loop's hot
// path: a full parse of every answer was a third of the load generator's CPU, taken from
// the server on a 2-core machine. Only for keys whose first occurrence is the one wanted
// (the server writes object keys in sorted order) and values without escapes (ids, statuses).
std::string FirstString(std::string_view body, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":\"";
  size_t at = body.find(needle);
  if (at == std::string_view::npos) return "";
  size_t start = at + needle.size(), end = body.find('"', start);
  if (end == std::string_view::npos || body.substr(start, end - start).find('\\') != std::string_view::npos) return "";
  return std::string(body.substr(start, end - start));
}

std::string StringAt(const Json& j, const Json::json_pointer& p) {
  if (j.is_discarded() || !j.contains(p) || !j.at(p).is_string()) return "";
  return j.at(p).get<std::string>();
}

// Everything the VUs read; written only during setup.
struct World {
  Options opt;
  tcp::endpoint ep;  // the first target: setup and the final reads
  std::string host_header;
  std::vector<tcp::endpoint> eps;  // every target; VU i uses eps[i % size]
  std::vector<std::string> host_headers;
  std::vector<std::string> product_ids;
  std::vector<std::string> sku_ids;  // checkout: on-sale demo SKUs with stock
  // checkout: SKUs a checkout found sold out (the demo's stock is finite); not picked again.
  std::mutex sold_out_mu;
  std::set<std::string> sold_out;
  std::vector<std::string> search_targets;
  std::string address_json;
  // Run control.
  SteadyClock::time_point start, deadline;
  double interval_s = 0;
  std::atomic<int64_t> tickets{0};  // ops started (bounded by max_ops)
  std::atomic<int64_t> slot{0};     // open loop: next slot of the schedule
  int64_t phone_base = 0;
  // Promo scenarios: the buyer pool (auth headers), handed out round-robin.
  std::vector<std::string> buyer_auth;
  std::atomic<uint64_t> next_buyer{0};
  std::string merchant_auth;  // "Authorization…\r\nX-Merchant-Id…\r\n" of 13900000001's shop
  std::string promo_product_id, promo_sku_id, activity_id, coupon_id;
  std::string member_token, member_auth;  // member: the card's claim token, its shop's console headers
  // mixed: the flash burst starts here; VUs with index % 4 == 0 then switch to flash attempts.
  SteadyClock::time_point burst_at;
  std::atomic<int64_t> flash_tickets{0};
  const std::string& NextBuyer() { return buyer_auth[next_buyer.fetch_add(1, std::memory_order_relaxed) % buyer_auth.size()]; }
};

// What an op ended in: done, refused as the scenario expects (sold out, limit reached, group
// full: answered, timed, not an error), or failed (an error).
enum class Outcome { kOk, kRefused, kError };

// Per-thread results, merged at the end.
struct Stats {
  std::vector<int64_t> latency_us;
  int64_t ops = 0, errors = 0, polls = 0, setup_errors = 0, refused = 0;
  std::map<std::string, int64_t> codes;
  std::map<std::string, int64_t> outcomes;  // scenario-specific counts ("success", "409 OUT_OF_STOCK", …)
  std::vector<std::string> group_ids;       // groupbuy: the group of every paid seat
  void Refused(const HttpResponse& r) {
    ++refused;
    Json j = Json::parse(r.body, nullptr, false);
    std::string code = (!j.is_discarded() && j.contains("error") && j["error"].is_object()) ? j["error"].value("code", "") : "";
    ++outcomes[std::to_string(r.status) + " " + code];
  }
  std::vector<std::string> samples;
  // Records a failed op (or, with counted=false, a failed setup step: sampled only).
  void Error(const std::string& what, const HttpResponse& r, bool counted = true) {
    if (counted) {
      ++errors;
      ++codes[r.status == 0 ? "conn" : std::to_string(r.status)];
    }
    if (samples.size() < 5) samples.push_back(fmt::format("{} -> {} {}", what, r.status, r.body.substr(0, 200)));
  }
};

struct Vu {
  Vu(asio::io_context& ioc, World& w, Stats& s, int i)
      : conn(ioc, w.eps[static_cast<size_t>(i) % w.eps.size()], w.host_headers[static_cast<size_t>(i) % w.eps.size()]),
        world(w), stats(s), index(i), rng(0x5eed0000u + static_cast<unsigned>(i)) {}
  Conn conn;
  World& world;
  Stats& stats;
  int index;
  std::mt19937_64 rng;
  std::string auth;  // "Authorization: Bearer …\r\n" once registered
  bool ready = false;
  std::string cursor;  // feed: the next page of this VU's feed ("" = a new feed)
  int page = 0;        // feed: pages fetched of it
  bool in_op = false;
  bool done = false;
};

template <class V>
const std::string& Pick(Vu& vu, const std::vector<V>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(vu.rng)];
}

// A demo SKU not yet seen sold out (after a few tries, any SKU).
const std::string& PickInStock(Vu& vu);

awaitable<void> Sleep(std::chrono::microseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
}

// Registers this VU's buyer (or logs it in when the phone is taken from an earlier run).
awaitable<void> SetupBuyer(Vu& vu) {
  std::string phone = std::to_string(vu.world.phone_base + vu.index);
  std::string creds = fmt::format(R"({{"phone":"{}","password":"bench12345","nickname":"压测{}"}})", phone, vu.index);
  HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/auth/register", creds);
  if (r.status == 409) r = co_await vu.conn.Send("POST", "/api/v1/auth/login", creds);
  std::string token = StringAt(ParseBody(r), "/token"_json_pointer);
  if (!r.ok() || token.empty()) {
    ++vu.stats.setup_errors;
    vu.stats.Error("register", r, false);
    co_return;
  }
  vu.auth = "Authorization: Bearer " + token + "\r\n";
  if (!vu.world.member_token.empty()) {
    r = co_await vu.conn.Send("POST", "/api/v1/member-cards/claim/" + vu.world.member_token, "{}", vu.auth);
    if (!r.ok()) {
      ++vu.stats.setup_errors;
      vu.stats.Error("member card claim", r, false);
      co_return;
    }
  }
  vu.ready = true;
}

// One paid order: checkout (+ pay) → sandbox complete → wait until paid.
// kRefused: the SKU was sold out at checkout (no order); the caller picks another.
// One request of an op that must answer 2xx: false, counted as an error named `what`, otherwise.
awaitable<bool> Step(Vu& vu, const char* what, std::string_view method, const std::string& target,
                     std::string_view body, const std::string& auth) {
  HttpResponse r = co_await vu.conn.Send(method, target, body, auth);
  if (!r.ok()) vu.stats.Error(what, r);
  co_return r.ok();
}

// hot --complete 1: the shop ships the paid order and its buyer confirms receipt: it completes.
awaitable<Outcome> CompleteOrder(Vu& vu, const std::string& order_id) {
  // Targets as named locals and results stored before they are tested: GCC 12 miscompiles a
  // co_await on temporaries inside an if condition (the binary hit ud2 here).
  const std::string ship = "/api/v1/merchant/orders/" + order_id + "/ship";
  bool ok = co_await Step(vu, "ship", "POST", ship, R"({"carrier":"顺丰","tracking_no":"SF-BENCH"})",
                          vu.world.merchant_auth);
  if (!ok) co_return Outcome::kError;
  const std::string confirm = "/api/v1/orders/" + order_id + "/confirm";
  ok = co_await Step(vu, "confirm", "POST", confirm, "{}", vu.auth);
  co_return ok ? Outcome::kOk : Outcome::kError;
}

awaitable<Outcome> PaidOrder(Vu& vu, const std::string& sku) {
  World& w = vu.world;
  const bool pay_at_checkout = w.opt.pay == "checkout";
  std::string body = fmt::format(R"({{"items":[{{"sku_id":"{}","quantity":1}}],"address":{}{}}})", sku, w.address_json,
                                 pay_at_checkout ? R"(,"pay":{})" : "");
  HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/checkout", body, vu.auth);
  // One order (one SKU): its "id" is the body's first, and "payment_id" its payment's.
  std::string order_id = r.ok() ? FirstString(r.body, "id") : "";
  if (order_id.empty()) {
    if (r.status == 409 && r.body.find("OUT_OF_STOCK") != std::string::npos) {
      vu.stats.Refused(r);
      std::lock_guard lock(w.sold_out_mu);
      w.sold_out.insert(sku);
      co_return Outcome::kRefused;
    }
    vu.stats.Error("checkout", r);
    co_return Outcome::kError;
  }
  std::string payment_id = FirstString(r.body, "payment_id");
  if (!pay_at_checkout) {
    r = co_await vu.conn.Send("POST", "/api/v1/orders/" + order_id + "/pay", "{}", vu.auth);
    payment_id = r.ok() ? FirstString(r.body, "payment_id") : "";
  }
  if (payment_id.empty()) {
    vu.stats.Error("pay", r);
    co_return Outcome::kError;
  }
  const std::string complete = "/api/v1/pay/sandbox/" + payment_id + "/complete";
  const bool completed = co_await Step(vu, "complete", "POST", complete, "{}", vu.auth);
  if (!completed) co_return Outcome::kError;
  // The provider notifies the server asynchronously: wait for "paid" with the order's long
  // poll (the answer comes when the order leaves "created"), as the shop's cashier page does.
  auto give_up = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(w.opt.paid_timeout_s));
  std::string target = "/api/v1/orders/" + order_id + "?wait_while=created&wait_ms=" +
                       std::to_string(std::min(10000, static_cast<int>(w.opt.paid_timeout_s * 1000)));
  for (;;) {
    ++vu.stats.polls;
    r = co_await vu.conn.Send("GET", target, {}, vu.auth);
    if (!r.ok()) {
      vu.stats.Error("wait", r);
      co_return Outcome::kError;
    }
    std::string status = FirstString(r.body, "status");  // the order's: no nested object has one
    if (status == "paid") {
      if (!w.opt.complete) co_return Outcome::kOk;
      co_return co_await CompleteOrder(vu, order_id);
    }
    if (status != "created") {
      vu.stats.Error("wait: unexpected status " + status, r);
      co_return Outcome::kError;
    }
    if (SteadyClock::now() > give_up) {
      r.status = 0;
      r.body = "not paid within --paid-timeout-s";
      vu.stats.Error("wait", r);
      co_return Outcome::kError;
    }
  }
}

bool Expected(const HttpResponse& r) { return r.status == 409 || r.status == 422; }

// flash (and the mixed burst): one checkout attempt in the flash sale by the next buyer.
awaitable<Outcome> FlashAttempt(Vu& vu) {
  World& w = vu.world;
  std::string body = fmt::format(R"({{"items":[{{"sku_id":"{}","quantity":1}}],"address":{},"activity":{{"id":"{}"}}}})", w.promo_sku_id,
                                 w.address_json, w.activity_id);
  HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/checkout", body, w.NextBuyer());
  if (r.status == 201) {
    ++vu.stats.outcomes["success"];
    co_return Outcome::kOk;
  }
  if (Expected(r)) {
    vu.stats.Refused(r);
    co_return Outcome::kRefused;
  }
  vu.stats.Error("flash checkout", r);
  co_return Outcome::kError;
}

// groupbuy: one buyer takes a seat and pays. It lists the product's forming groups with seats
// left, tries to join a random one of the fullest 20 (so 512 VUs do not all race for the same
// last seat), and after 3 lost races (409: the group filled meanwhile, or the buyer already
// sits in it) or when no group has seats, opens a new group; then pays and completes.
awaitable<Outcome> GroupJoin(Vu& vu) {
  World& w = vu.world;
  const std::string& auth = w.NextBuyer();
  HttpResponse r;
  std::string group_id, order_id, got_group;
  for (int attempt = 0; order_id.empty(); ++attempt) {
    group_id.clear();
    if (attempt < 3) {
      r = co_await vu.conn.Send("GET", "/api/v1/products/" + w.promo_product_id + "/groups?limit=20");
      Json groups = ParseBody(r);
      if (!r.ok() || groups.is_discarded()) {
        vu.stats.Error("groups", r);
        co_return Outcome::kError;
      }
      std::vector<std::string> open;
      for (auto& g : groups["items"])
        if (g.value("seats_left", 0) > 0) open.push_back(g["id"].get<std::string>());
      if (!open.empty()) group_id = Pick(vu, open);
    }
    std::string activity = group_id.empty() ? fmt::format(R"({{"id":"{}"}})", w.activity_id)
                                            : fmt::format(R"({{"id":"{}","group_id":"{}"}})", w.activity_id, group_id);
    std::string body = fmt::format(R"({{"items":[{{"sku_id":"{}","quantity":1}}],"address":{},"activity":{}}})", w.promo_sku_id,
                                   w.address_json, activity);
    r = co_await vu.conn.Send("POST", "/api/v1/checkout", body, auth);
    if (Expected(r) && !group_id.empty()) {  // lost the race for this group: look again
      vu.stats.Refused(r);
      continue;
    }
    Json j = ParseBody(r);
    order_id = r.ok() ? StringAt(j, "/orders/0/id"_json_pointer) : "";
    got_group = r.ok() ? StringAt(j, "/orders/0/group_id"_json_pointer) : "";
    if (order_id.empty() || got_group.empty()) {
      vu.stats.Error("group checkout", r);
      co_return Outcome::kError;
    }
  }
  r = co_await vu.conn.Send("POST", "/api/v1/orders/" + order_id + "/pay", "{}", auth);
  std::string payment_id = r.ok() ? StringAt(ParseBody(r), "/payment_id"_json_pointer) : "";
  if (payment_id.empty()) {
    vu.stats.Error("group pay", r);
    co_return Outcome::kError;
  }
  r = co_await vu.conn.Send("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", "{}", auth);
  if (!r.ok()) {
    vu.stats.Error("group complete", r);
    co_return Outcome::kError;
  }
  ++vu.stats.outcomes[group_id.empty() ? "opened" : "joined"];
  vu.stats.group_ids.push_back(got_group);
  co_return Outcome::kOk;
}

awaitable<Outcome> CouponClaim(Vu& vu) {
  World& w = vu.world;
  HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/coupons/" + w.coupon_id + "/claim", "{}", w.NextBuyer());
  if (r.status == 201) {
    ++vu.stats.outcomes["success"];
    co_return Outcome::kOk;
  }
  if (Expected(r)) {
    vu.stats.Refused(r);
    co_return Outcome::kRefused;
  }
  vu.stats.Error("claim", r);
  co_return Outcome::kError;
}

// member: one claim of the membership card by the next buyer.
awaitable<Outcome> MemberClaim(Vu& vu) {
  World& w = vu.world;
  HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/member-cards/claim/" + w.member_token, "{}", w.NextBuyer());
  if (r.status == 200) {
    Json j = ParseBody(r);
    ++vu.stats.outcomes[!j.is_discarded() && j.value("created", false) ? "success" : "held"];
    co_return Outcome::kOk;
  }
  if (Expected(r)) {
    vu.stats.Refused(r);
    co_return Outcome::kRefused;
  }
  vu.stats.Error("claim", r);
  co_return Outcome::kError;
}

// feed, feed_user: one page of the VU's feed (its next page, or a new feed after 3).
awaitable<Outcome> FeedPage(Vu& vu) {
  std::string target = "/api/v1/feed?limit=10";
  if (vu.world.opt.scenario == "feed") target += "&device=bench" + std::to_string(vu.index);
  if (!vu.cursor.empty() && vu.page < 3) {
    target += "&cursor=" + UrlEncode(vu.cursor);
  } else {  // a new feed, signed in: the next buyer of the pool
    vu.cursor.clear();
    vu.page = 0;
    if (!vu.world.buyer_auth.empty()) vu.auth = vu.world.NextBuyer();
  }
  HttpResponse r = co_await vu.conn.Send("GET", target, {}, vu.auth);
  if (!r.ok()) {
    vu.stats.Error("feed", r);
    vu.cursor.clear();
    co_return Outcome::kError;
  }
  ++vu.page;
  ++vu.stats.outcomes["page" + std::to_string(vu.page)];
  if (r.body.find("\"kind\":\"product\"") == std::string::npos) ++vu.stats.outcomes["no_products"];
  vu.cursor = FirstString(r.body, "next_cursor");
  co_return Outcome::kOk;
}

awaitable<Outcome> Op(Vu& vu) {
  World& w = vu.world;
  const std::string& s = w.opt.scenario;
  // One paid order; a sold-out SKU is refused (counted) and another one tried.
  auto paid_order = [&vu]() -> awaitable<Outcome> {
    for (int tries = 0; tries < 8; ++tries) {
      Outcome o = co_await PaidOrder(vu, PickInStock(vu));
      if (o != Outcome::kRefused) co_return o;
    }
    co_return Outcome::kError;
  };
  if (s == "checkout") co_return co_await paid_order();
  if (s == "hot") co_return co_await PaidOrder(vu, w.sku_ids.front());
  if (s == "flash") co_return co_await FlashAttempt(vu);
  if (s == "groupbuy") co_return co_await GroupJoin(vu);
  if (s == "coupon") co_return co_await CouponClaim(vu);
  if (s == "member") co_return co_await MemberClaim(vu);
  if (s == "feed" || s == "feed_user") co_return co_await FeedPage(vu);
  std::string target;
  if (s == "mixed") {
    // A quarter of the VUs turn into flash buyers once the burst starts, until the flash
    // attempts (max_ops / 4) are used up; the rest keep the 80/15/5 mix.
    if (vu.index % 4 == 0 && SteadyClock::now() >= w.burst_at &&
        w.flash_tickets.fetch_add(1, std::memory_order_relaxed) < std::max<int64_t>(w.opt.promo_stock * 3, 1)) {
      Outcome o = co_await FlashAttempt(vu);
      ++vu.stats.outcomes[o == Outcome::kError ? "flash_error" : "flash_attempt"];
      co_return o;
    }
    int dice = std::uniform_int_distribution<int>(0, 99)(vu.rng);
    if (dice >= 95) {
      ++vu.stats.outcomes["paid_order"];
      vu.auth = w.NextBuyer();
      co_return co_await paid_order();
    }
    if (dice >= 80) {
      ++vu.stats.outcomes["cart_add"];
      std::string body = fmt::format(R"({{"sku_id":"{}","quantity":1}})", Pick(vu, w.sku_ids));
      HttpResponse r = co_await vu.conn.Send("POST", "/api/v1/cart/items", body, w.NextBuyer());
      if (!r.ok()) {
        vu.stats.Error("cart add", r);
        co_return Outcome::kError;
      }
      co_return Outcome::kOk;
    }
    ++vu.stats.outcomes[dice < 50 ? "product" : "search"];
    target = dice < 50 ? "/api/v1/products/" + Pick(vu, w.product_ids) : Pick(vu, w.search_targets);
  } else if (s == "healthz") target = "/healthz";
  else if (s == "product") target = "/api/v1/products/" + Pick(vu, w.product_ids);
  else target = Pick(vu, w.search_targets);
  HttpResponse r = co_await vu.conn.Send("GET", target);
  if (!r.ok()) {
    vu.stats.Error(s, r);
    co_return Outcome::kError;
  }
  co_return Outcome::kOk;
}

awaitable<void> VuLoop(Vu& vu) {
  World& w = vu.world;
  while (vu.ready) {
    SteadyClock::time_point intended = SteadyClock::now();
    if (w.interval_s > 0) {
      int64_t k = w.slot.fetch_add(1, std::memory_order_relaxed);
      intended = w.start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(static_cast<double>(k) * w.interval_s));
      if (intended >= w.deadline) break;
      if (intended > SteadyClock::now()) co_await Sleep(std::chrono::duration_cast<std::chrono::microseconds>(intended - SteadyClock::now()));
    }
    if (SteadyClock::now() >= w.deadline) break;
    if (w.tickets.fetch_add(1, std::memory_order_relaxed) >= w.opt.max_ops) break;
    vu.in_op = true;
    Outcome o = co_await Op(vu);
    vu.in_op = false;
    if (o != Outcome::kError) {
      ++vu.stats.ops;
      vu.stats.latency_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - intended).count());
    }
  }
  vu.done = true;
}

const std::string& PickInStock(Vu& vu) {
  World& w = vu.world;
  std::lock_guard lock(w.sold_out_mu);
  for (int i = 0;; ++i) {
    const std::string& sku = Pick(vu, w.sku_ids);
    if (i >= 20 || !w.sold_out.contains(sku)) return sku;
  }
}

// Runs one coroutine to completion on a private io_context (setup steps).
template <class F>
void RunSync(F&& f) {
  asio::io_context ioc;
  asio::co_spawn(ioc, std::forward<F>(f)(ioc), asio::detached);
  ioc.run();
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "loadgen: %s\n", why.c_str());
  std::exit(1);
}

awaitable<void> FetchProducts(Conn& c, World& w) {
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    std::string target = "/api/v1/products?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor);
    HttpResponse r = co_await c.Send("GET", target);
    Json j = ParseBody(r);
    if (!r.ok() || j.is_discarded()) Die("product list: " + std::to_string(r.status) + " " + r.body);
    for (auto& item : j["items"]) w.product_ids.push_back(item["id"].get<std::string>());
    if (!j["next_cursor"].is_string()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  if (w.product_ids.empty()) Die("the server lists no products (start it with --demo)");
}

awaitable<void> FetchSkus(Conn& c, World& w) {
  for (const auto& id : w.product_ids) {
    HttpResponse r = co_await c.Send("GET", "/api/v1/products/" + id);
    Json j = ParseBody(r);
    if (!r.ok() || j.is_discarded() || j.value("status", "") != "on_sale") continue;
    for (auto& sku : j["skus"])
      if (sku.value("stock", 0) > 0) w.sku_ids.push_back(sku["id"].get<std::string>());
  }
  if (w.sku_ids.empty()) Die("no on-sale SKU with stock");
}

// Logs in merchant owner 13900000001 and leaves the console headers in w.merchant_auth.
awaitable<void> SetupMerchant(Conn& c, World& w) {
  HttpResponse r = co_await c.Send("POST", "/api/v1/auth/login", R"({"phone":"13900000001","password":"demo123"})");
  std::string token = StringAt(ParseBody(r), "/token"_json_pointer);
  if (!r.ok() || token.empty()) Die("merchant login: " + std::to_string(r.status) + " " + r.body);
  std::string auth = "Authorization: Bearer " + token + "\r\n";
  std::string merchant_id;
  r = co_await c.Send("GET", "/api/v1/me", {}, auth);
  Json me = ParseBody(r);
  if (r.ok() && !me.is_discarded()) {
    for (auto& m : me["merchants"])
      if (m.value("role", "") == "owner") {
        merchant_id = m["id"].get<std::string>();
        break;
      }
  } else {
    // GET /api/v1/me failing must not stop the benchmark: find the owner's shop by asking
    // the console endpoint about every merchant that lists products.
    std::fprintf(stderr, "loadgen: warning: GET /api/v1/me -> %d %s; probing merchants instead\n", r.status, r.body.substr(0, 200).c_str());
    co_await FetchProducts(c, w);
    std::vector<std::string> seen;
    for (const auto& pid : w.product_ids) {
      HttpResponse p = co_await c.Send("GET", "/api/v1/products/" + pid);
      std::string mid = StringAt(ParseBody(p), "/merchant_id"_json_pointer);
      if (mid.empty() || std::find(seen.begin(), seen.end(), mid) != seen.end()) continue;
      seen.push_back(mid);
      HttpResponse m = co_await c.Send("GET", "/api/v1/merchant", {}, auth + "X-Merchant-Id: " + mid + "\r\n");
      if (m.ok()) {
        merchant_id = mid;
        break;
      }
    }
  }
  if (merchant_id.empty()) Die("merchant owner 13900000001 has no shop");
  w.merchant_auth = auth + "X-Merchant-Id: " + merchant_id + "\r\n";
}

// Creates an on-sale product with one SKU in the merchant's shop; sets w.promo_product_id/sku_id.
awaitable<void> CreateProduct(Conn& c, World& w, const std::string& title, int64_t price_fen, int64_t stock) {
  std::string body = fmt::format(
      R"({{"title":"{} {}","category":"食品","attributes":{{"产地":"云南"}},"images":[],)"
      R"("skus":[{{"spec":{{"规格":"标准"}},"price_fen":{},"stock":{}}}],"status":"on_sale"}})",
      title, std::time(nullptr), price_fen, stock);
  HttpResponse r = co_await c.Send("POST", "/api/v1/merchant/products", body, w.merchant_auth);
  Json j = ParseBody(r);
  w.promo_product_id = StringAt(j, "/id"_json_pointer);
  w.promo_sku_id = StringAt(j, "/skus/0/id"_json_pointer);
  if (!r.ok() || w.promo_sku_id.empty()) Die("create product: " + std::to_string(r.status) + " " + r.body);
}

// Creates the hot product and leaves its SKU in w.sku_ids.
awaitable<void> SetupHotSku(Conn& c, World& w) {
  co_await SetupMerchant(c, w);
  co_await CreateProduct(c, w, "压测爆款", 990, 10'000'000);
  w.sku_ids = {w.promo_sku_id};
  if (w.opt.members) {
    HttpResponse r = co_await c.Send("PUT", "/api/v1/merchant/member-programme",
                                     R"({"title":"压测会员卡","levels":[{"name":"会员","growth_threshold":0,"discount_bps":500}],"points_per_yuan":1})",
                                     w.merchant_auth);
    w.member_token = StringAt(ParseBody(r), "/claim_token"_json_pointer);
    if (!r.ok() || w.member_token.empty()) Die("design the member card: " + std::to_string(r.status) + " " + r.body);
  }
}

std::string Rfc3339(std::time_t t) {
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// flash / mixed: a product whose SKU holds the flash stock plus a margin, and a flash sale on it
// that runs from (a second before) now for an hour. groupbuy: a product and a group buy.
// coupon: a merchant coupon. Ids land in w.activity_id / w.coupon_id.
awaitable<void> SetupPromo(Conn& c, World& w) {
  co_await SetupMerchant(c, w);
  const std::string& s = w.opt.scenario;
  std::time_t now = std::time(nullptr);
  HttpResponse r;
  if (s == "flash" || s == "mixed") {
    co_await CreateProduct(c, w, "压测秒杀", 9900, w.opt.promo_stock * 2 + 1000);
    r = co_await c.Send("POST", "/api/v1/merchant/activities",
                        fmt::format(R"({{"type":"flash_sale","sku_id":"{}","price_fen":990,"stock":{},"per_user_limit":1,)"
                                    R"("starts_at":"{}","ends_at":"{}"}})",
                                    w.promo_sku_id, w.opt.promo_stock, Rfc3339(now - 1), Rfc3339(now + 3600)),
                        w.merchant_auth);
    w.activity_id = StringAt(ParseBody(r), "/id"_json_pointer);
    if (!r.ok() || w.activity_id.empty()) Die("create flash sale: " + std::to_string(r.status) + " " + r.body);
  } else if (s == "groupbuy") {
    co_await CreateProduct(c, w, "压测拼团", 4900, 10'000'000);
    r = co_await c.Send("POST", "/api/v1/merchant/activities",
                        fmt::format(R"({{"type":"group_buy","sku_id":"{}","group_price_fen":2900,"group_size":{},"group_ttl_s":3600,)"
                                    R"("starts_at":"{}","ends_at":"{}"}})",
                                    w.promo_sku_id, w.opt.group_size, Rfc3339(now - 1), Rfc3339(now + 3600)),
                        w.merchant_auth);
    w.activity_id = StringAt(ParseBody(r), "/id"_json_pointer);
    if (!r.ok() || w.activity_id.empty()) Die("create group buy: " + std::to_string(r.status) + " " + r.body);
  } else if (s == "coupon") {
    r = co_await c.Send("POST", "/api/v1/merchant/coupons",
                        fmt::format(R"({{"title":"压测券 {}","kind":"fixed","amount_fen":500,"min_spend_fen":3000,"total_quota":{},)"
                                    R"("per_user_limit":1,"scope":{{"type":"merchant"}},"valid_days":7}})",
                                    now, w.opt.promo_stock),
                        w.merchant_auth);
    w.coupon_id = StringAt(ParseBody(r), "/id"_json_pointer);
    if (!r.ok() || w.coupon_id.empty()) Die("create coupon: " + std::to_string(r.status) + " " + r.body);
  } else if (s == "member") {
    // A new shop of the demo owner per run (opened by the demo admin, so active at once): a shop
    // has one card, and its limit cannot drop below what an earlier run issued.
    std::string owner = w.merchant_auth.substr(0, w.merchant_auth.find("X-Merchant-Id:"));
    r = co_await c.Send("POST", "/api/v1/auth/login", R"({"phone":"13800000000","password":"admin123"})");
    std::string admin = StringAt(ParseBody(r), "/token"_json_pointer);
    if (!r.ok() || admin.empty()) Die("admin login: " + std::to_string(r.status) + " " + r.body);
    r = co_await c.Send("POST", "/api/v1/merchants",
                        fmt::format(R"({{"kind":"b2c","name":"压测会员店 {}","owner_phone":"13900000001"}})", now % 100000),
                        "Authorization: Bearer " + admin + "\r\n");
    std::string shop = StringAt(ParseBody(r), "/id"_json_pointer);
    if (!r.ok() || shop.empty()) Die("open the member shop: " + std::to_string(r.status) + " " + r.body);
    w.member_auth = owner + "X-Merchant-Id: " + shop + "\r\n";
    r = co_await c.Send("PUT", "/api/v1/merchant/member-programme",
                        fmt::format(R"({{"title":"开业会员卡","levels":[{{"name":"会员","growth_threshold":0,"discount_bps":500}}],)"
                                    R"("points_per_yuan":1,"issue_limit":{}}})",
                                    w.opt.promo_stock),
                        w.member_auth);
    w.member_token = StringAt(ParseBody(r), "/claim_token"_json_pointer);
    if (!r.ok() || w.member_token.empty()) Die("design the member card: " + std::to_string(r.status) + " " + r.body);
  }
}

// Registers buyers first..first+count-1 of the pool in stride (or logs them in when a phone
// is taken from an earlier run); appends their auth headers to `out`. With `existing` (feed_user)
// it only signs in the scaled demo world's buyers (--feed-phone + i, demo123).
// GCC 12 reports the coroutine frame's own operator new/delete pair as mismatched once this
// coroutine is started from two places (a false positive of -Wmismatched-new-delete).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
awaitable<void> RegisterBuyers(asio::io_context& ioc, World& w, int first, int stride, int count, std::vector<std::string>& out, int64_t& failures,
                               std::string& sample, bool existing = false) {
  Conn c(ioc, w.eps[static_cast<size_t>(first) % w.eps.size()], w.host_headers[static_cast<size_t>(first) % w.eps.size()]);
  for (int i = first; i < count; i += stride) {
    std::string creds;
    std::string_view path = "/api/v1/auth/register";
    if (existing) {
      creds = fmt::format(R"({{"phone":"{}","password":"demo123"}})", w.opt.feed_phone + i);
      path = "/api/v1/auth/login";
    } else {
      creds = fmt::format(R"({{"phone":"{}","password":"bench12345","nickname":"压测买家{}"}})", w.phone_base + i, i);
    }
    HttpResponse r = co_await c.Send("POST", path, creds);
    if (r.status == 409 && !existing) r = co_await c.Send("POST", "/api/v1/auth/login", creds);
    std::string token = StringAt(ParseBody(r), "/token"_json_pointer);
    if (!r.ok() || token.empty()) {
      ++failures;
      if (sample.empty()) sample = std::to_string(r.status) + " " + r.body.substr(0, 200);
      continue;
    }
    out.push_back("Authorization: Bearer " + token + "\r\n");
  }
}
#pragma GCC diagnostic pop

double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]) / 1000.0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: loadgen --url http://127.0.0.1:PORT [--url …] --scenario healthz|product|search|checkout|hot|flash|groupbuy|coupon|member|mixed|feed|feed_user\n"
               "               [--connections 64] [--threads 1] [--duration-s 10] [--max-ops N] [--rate R]\n"
               "               [--grace-s 10] [--paid-timeout-s 10] [--pay checkout|separate] [--members 0|1 (hot)] [--complete 0|1 (hot)]\n"
               "               [--buyers N] [--promo-stock 10000] [--group-size 5] [--register-conns 64]\n"
               "               [--on-start CMD] [--on-end CMD] [--feed-phone 13600000001 (feed_user)]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  auto world = std::make_unique<World>();
  World& w = *world;
  Options& opt = w.opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) Usage();
    std::string v = argv[++i];
    if (a == "--url") {
      std::string_view u = v;
      if (!u.starts_with("http://")) Usage();
      u.remove_prefix(7);
      if (auto slash = u.find('/'); slash != std::string_view::npos) u = u.substr(0, slash);
      auto colon = u.rfind(':');
      opt.targets.emplace_back(std::string(u.substr(0, colon)),
                               colon == std::string_view::npos ? 80 : static_cast<uint16_t>(std::atoi(std::string(u.substr(colon + 1)).c_str())));
    } else if (a == "--scenario") opt.scenario = v;
    else if (a == "--connections") opt.connections = std::atoi(v.c_str());
    else if (a == "--threads") opt.threads = std::atoi(v.c_str());
    else if (a == "--duration-s") opt.duration_s = std::atof(v.c_str());
    else if (a == "--max-ops") opt.max_ops = std::atoll(v.c_str());
    else if (a == "--rate") opt.rate = std::atof(v.c_str());
    else if (a == "--grace-s") opt.grace_s = std::atof(v.c_str());
    else if (a == "--paid-timeout-s") opt.paid_timeout_s = std::atof(v.c_str());
    else if (a == "--buyers") opt.buyers = std::atoi(v.c_str());
    else if (a == "--promo-stock") opt.promo_stock = std::atoll(v.c_str());
    else if (a == "--group-size") opt.group_size = std::atoi(v.c_str());
    else if (a == "--register-conns") opt.register_conns = std::atoi(v.c_str());
    else if (a == "--pay" && (v == "checkout" || v == "separate")) opt.pay = v;
    else if (a == "--members") opt.members = v == "1";
    else if (a == "--complete") opt.complete = v == "1";
    else if (a == "--on-start") opt.on_start = v;
    else if (a == "--on-end") opt.on_end = v;
    else if (a == "--feed-phone") opt.feed_phone = std::atoll(v.c_str());
    else Usage();
  }
  const std::vector<std::string> scenarios = {"healthz", "product", "search", "checkout", "hot", "flash", "groupbuy", "coupon", "member", "mixed", "feed", "feed_user"};
  if (std::find(scenarios.begin(), scenarios.end(), opt.scenario) == scenarios.end()) Usage();
  if (opt.connections < 1 || opt.connections > 9999 || opt.threads < 1 || opt.duration_s <= 0 || opt.max_ops < 1)
    Usage();
  opt.threads = std::min(opt.threads, opt.connections);
  const bool promo = opt.scenario == "flash" || opt.scenario == "groupbuy" || opt.scenario == "coupon" || opt.scenario == "member" ||
                     opt.scenario == "mixed";
  if (opt.buyers <= 0)  // flash and coupon need more buyers than units (1 per user) so they sell out
    opt.buyers = opt.scenario == "groupbuy"  ? 2000
                 : opt.scenario == "mixed"   ? 2000
                 : opt.scenario == "member"  ? static_cast<int>(opt.promo_stock * 2)  // one card each: twice the limit queue up
                 : opt.scenario == "feed_user" ? 1000
                                             : static_cast<int>(opt.promo_stock + opt.promo_stock / 5);
  if (opt.buyers > 99999 || opt.promo_stock < 1 || opt.group_size < 2 || opt.register_conns < 1) Usage();

  // One socket per VU plus the registration connections: raise the soft fd limit to the hard one.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < static_cast<rlim_t>(opt.connections + opt.register_conns + 64))
    Die(fmt::format("--connections {} needs more file descriptors than RLIMIT_NOFILE allows ({})", opt.connections, rl.rlim_cur));

  if (opt.targets.empty()) opt.targets.emplace_back("127.0.0.1", 8080);
  for (const auto& [host, port] : opt.targets) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) Die("--url needs a numeric IPv4 host (127.0.0.1), got " + host);
    w.eps.emplace_back(addr, port);
    w.host_headers.push_back(fmt::format("{}:{}", host, port));
  }
  w.ep = w.eps.front();
  w.host_header = w.host_headers.front();
  w.address_json = R"({"name":"压测用户","phone":"13800000000","region":"上海市 浦东新区","detail":"世纪大道100号"})";
  for (const char* word : {"咖啡", "茶", "耳机", "口红", "跑步鞋", "大米", "蜡烛", "保温杯"})
    w.search_targets.push_back("/api/v1/products?q=" + UrlEncode(word) + "&limit=20");
  // Buyer phones: 15 · scenario digit · 4 digits of the clock · 4 digits of the VU index.
  int scenario_digit = opt.scenario == "checkout" ? 1 : opt.scenario == "hot" ? 2 : 3;
  w.phone_base = 15'000'000'000LL + scenario_digit * 100'000'000LL + (std::time(nullptr) % 10000) * 10'000LL;
  if (promo) {  // pool buyers: 16 · scenario digit · 3 digits of the clock · 5 digits of the index
    int d = opt.scenario == "flash" ? 1 : opt.scenario == "groupbuy" ? 2 : opt.scenario == "coupon" ? 3 : opt.scenario == "member" ? 5 : 4;
    w.phone_base = 16'000'000'000LL + d * 100'000'000LL + (std::time(nullptr) % 1000) * 100'000LL;
  }

  // Setup: the data the scenario needs, then one buyer per VU.
  RunSync([&](asio::io_context& ioc) -> awaitable<void> {
    Conn c(ioc, w.ep, w.host_header);
    if (opt.scenario == "product" || opt.scenario == "checkout" || opt.scenario == "mixed") co_await FetchProducts(c, w);
    if (opt.scenario == "checkout" || opt.scenario == "mixed") co_await FetchSkus(c, w);
    if (opt.scenario == "hot") co_await SetupHotSku(c, w);
    if (promo) co_await SetupPromo(c, w);
    HttpResponse r = co_await c.Send("GET", "/healthz");
    if (!r.ok()) Die("GET /healthz -> " + std::to_string(r.status) + " " + r.body);
  });

  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<Stats> stats(static_cast<size_t>(opt.threads));
  std::vector<std::unique_ptr<Vu>> vus;
  for (int t = 0; t < opt.threads; ++t) iocs.push_back(std::make_unique<asio::io_context>(1));
  for (int i = 0; i < opt.connections; ++i)
    vus.push_back(std::make_unique<Vu>(*iocs[static_cast<size_t>(i % opt.threads)], w, stats[static_cast<size_t>(i % opt.threads)], i));
  auto run_all = [&] {
    std::vector<std::thread> threads;
    for (auto& ioc : iocs) threads.emplace_back([&ioc] { ioc->run(); });
    for (auto& t : threads) t.join();
    for (auto& ioc : iocs) ioc->restart();
  };
  bool buyers = opt.scenario == "checkout" || opt.scenario == "hot";
  double register_s = 0;
  int64_t register_failures = 0;
  if (promo) {
    // The buyer pool, registered over --register-conns connections (setup: not timed).
    auto t0 = SteadyClock::now();
    int n = std::min(opt.register_conns, opt.buyers);
    std::vector<std::vector<std::string>> parts(static_cast<size_t>(n));
    std::string sample;
    asio::io_context ioc;
    for (int k = 0; k < n; ++k)
      asio::co_spawn(ioc, RegisterBuyers(ioc, w, k, n, opt.buyers, parts[static_cast<size_t>(k)], register_failures, sample),
                     asio::detached);
    ioc.run();
    for (auto& p : parts) w.buyer_auth.insert(w.buyer_auth.end(), p.begin(), p.end());
    register_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::fprintf(stderr, "loadgen: %zu buyers ready in %.1f s (%lld failed%s%s)\n", w.buyer_auth.size(), register_s,
                 static_cast<long long>(register_failures), sample.empty() ? "" : ": ", sample.c_str());
    if (w.buyer_auth.empty()) Die("no buyer could be registered");
    // Mixed up so that consecutive attempts come from buyers registered on different connections.
    std::shuffle(w.buyer_auth.begin(), w.buyer_auth.end(), std::mt19937_64(42));
  }
  if (opt.scenario == "feed_user") {
    // The scaled world's buyers signed in over --register-conns connections (setup: not timed).
    auto t0 = SteadyClock::now();
    int n = std::min(opt.register_conns, opt.buyers);
    std::vector<std::vector<std::string>> parts(static_cast<size_t>(n));
    std::string sample;
    asio::io_context ioc;
    for (int k = 0; k < n; ++k)
      asio::co_spawn(ioc, RegisterBuyers(ioc, w, k, n, opt.buyers, parts[static_cast<size_t>(k)], register_failures, sample, true),
                     asio::detached);
    ioc.run();
    for (auto& p : parts) w.buyer_auth.insert(w.buyer_auth.end(), p.begin(), p.end());
    register_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::fprintf(stderr, "loadgen: %zu buyers signed in in %.1f s (%lld failed%s%s)\n", w.buyer_auth.size(), register_s,
                 static_cast<long long>(register_failures), sample.empty() ? "" : ": ", sample.c_str());
    if (w.buyer_auth.empty()) Die("no buyer could sign in (was the store made by xiaodian demo-data --scale?)");
  }
  for (auto& vu : vus) {
    if (opt.scenario == "feed_user") vu->auth = w.buyer_auth[static_cast<size_t>(vu->index) % w.buyer_auth.size()];
    if (!buyers) {
      vu->ready = true;
      continue;
    }
    asio::co_spawn(*iocs[static_cast<size_t>(vu->index % opt.threads)], SetupBuyer(*vu), asio::detached);
  }
  run_all();
  int64_t setup_errors = 0;
  for (auto& s : stats) setup_errors += s.setup_errors;
  if (setup_errors == opt.connections) Die("no virtual user could register a buyer");

  // The timed run.
  if (!opt.on_start.empty() && std::system(opt.on_start.c_str()) != 0) Die("--on-start failed: " + opt.on_start);
  w.start = SteadyClock::now();
  w.deadline = w.start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(opt.duration_s));
  w.interval_s = opt.rate > 0 ? 1.0 / opt.rate : 0;
  w.burst_at = w.start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(opt.duration_s * 0.4));
  auto hard_stop = w.deadline + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(opt.grace_s));
  std::vector<std::unique_ptr<asio::steady_timer>> watchdogs;
  std::atomic<bool> abandoned{false};
  for (auto& ioc : iocs) {
    auto t = std::make_unique<asio::steady_timer>(*ioc, hard_stop);
    asio::io_context* raw = ioc.get();
    t->async_wait([raw, &abandoned](boost::system::error_code e) {
      if (e) return;
      abandoned = true;
      raw->stop();
    });
    watchdogs.push_back(std::move(t));
  }
  std::atomic<int> running{opt.connections};
  for (auto& vu : vus) {
    Vu* v = vu.get();
    asio::io_context& ioc = *iocs[static_cast<size_t>(v->index % opt.threads)];
    asio::co_spawn(ioc, VuLoop(*v), [v, &running, &watchdogs](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "loadgen: VU %d stopped: %s\n", v->index, ex.what());
        }
      }
      if (--running == 0)
        for (auto& t : watchdogs) asio::post(t->get_executor(), [t = t.get()] { t->cancel(); });
    });
  }
  run_all();
  double elapsed_s = std::chrono::duration<double>(SteadyClock::now() - w.start).count();
  if (!opt.on_end.empty() && std::system(opt.on_end.c_str()) != 0) Die("--on-end failed: " + opt.on_end);

  // Merge.
  Stats total;
  for (auto& s : stats) {
    total.latency_us.insert(total.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    total.ops += s.ops;
    total.errors += s.errors;
    total.polls += s.polls;
    total.refused += s.refused;
    for (auto& [k, n] : s.outcomes) total.outcomes[k] += n;
    total.group_ids.insert(total.group_ids.end(), s.group_ids.begin(), s.group_ids.end());
    for (auto& [k, n] : s.codes) total.codes[k] += n;
    for (auto& x : s.samples)
      if (total.samples.size() < 5) total.samples.push_back(x);
  }
  for (auto& vu : vus)
    if (vu->in_op) {
      ++total.errors;
      ++total.codes["timeout"];
    }
  std::sort(total.latency_us.begin(), total.latency_us.end());
  for (auto& s : total.samples) std::fprintf(stderr, "loadgen: error sample: %s\n", s.c_str());

  Json codes = Json::object();
  for (auto& [k, n] : total.codes) codes[k] = n;

  // Scenario outcomes, checked against what the server says afterwards.
  Json extra = Json::object();
  if (promo) {
    Json refusals = Json::object();
    int64_t successes = 0;
    for (auto& [k, n] : total.outcomes) {
      if (k == "success") successes = n;
      else if (k.size() > 4 && (k.starts_with("409 ") || k.starts_with("422 "))) refusals[k] = n;
      else extra[k] = n;
    }
    extra["buyers"] = w.buyer_auth.size();
    extra["register_s"] = std::round(register_s * 10) / 10;
    extra["refused"] = total.refused;
    extra["refusals"] = refusals;
    // flash/coupon: every answered attempt is an op; groupbuy: an op is a paid seat (joined or
    // opened), and "refused" counts the races lost on the way (retried).
    extra[opt.scenario == "groupbuy" ? "joins_per_s" : "attempts_per_s"] = std::round(static_cast<double>(total.ops) / elapsed_s * 10) / 10;
    RunSync([&](asio::io_context& ioc) -> awaitable<void> {
      Conn c(ioc, w.ep, w.host_header);
      if (opt.scenario == "flash" || opt.scenario == "mixed") {
        HttpResponse r = co_await c.Send("GET", "/api/v1/activities/" + w.activity_id);
        Json a = ParseBody(r);
        int64_t left = (!a.is_discarded() && a["stock_left"].is_number()) ? a["stock_left"].get<int64_t>() : -1;
        extra["successes"] = successes;
        extra["flash_stock"] = opt.promo_stock;
        extra["stock_left"] = left;
        extra["sold_out"] = left == 0;
        // Exact: every unit sold once (never more), and the server's count agrees with ours.
        // (mixed: the burst need not sell out; exact = our successes are what the activity lost.)
        extra["exact"] = opt.scenario == "mixed" ? left >= 0 && successes == opt.promo_stock - left
                                                 : left == 0 && successes == opt.promo_stock;
        if (left >= 0 && successes != opt.promo_stock - left)
          std::fprintf(stderr, "loadgen: flash: %lld successes but the activity lost %lld units\n", static_cast<long long>(successes),
                       static_cast<long long>(opt.promo_stock - left));
      } else if (opt.scenario == "coupon") {
        HttpResponse r = co_await c.Send("GET", "/api/v1/coupons/" + w.coupon_id);
        Json cp = ParseBody(r);
        int64_t claimed = (!cp.is_discarded() && cp["claimed"].is_number()) ? cp["claimed"].get<int64_t>() : -1;
        extra["successes"] = successes;
        extra["quota"] = opt.promo_stock;
        extra["claimed"] = claimed;
        extra["exact"] = claimed == opt.promo_stock && successes == opt.promo_stock;
      } else if (opt.scenario == "member") {
        HttpResponse r = co_await c.Send("GET", "/api/v1/merchant/member-programme", {}, w.member_auth);
        Json p = ParseBody(r);
        int64_t issued = (!p.is_discarded() && p["issued"].is_number()) ? p["issued"].get<int64_t>() : -1;
        extra["successes"] = successes;
        extra["issue_limit"] = opt.promo_stock;
        extra["issued"] = issued;
        extra["exact"] = issued == opt.promo_stock && successes == opt.promo_stock;
      } else if (opt.scenario == "groupbuy") {
        std::sort(total.group_ids.begin(), total.group_ids.end());
        int64_t seats = static_cast<int64_t>(total.group_ids.size());  // paid seats the VUs saw through
        total.group_ids.erase(std::unique(total.group_ids.begin(), total.group_ids.end()), total.group_ids.end());
        // The sandbox notifies asynchronously: wait (up to 30 s) until every paid seat landed.
        auto give_up = SteadyClock::now() + std::chrono::seconds(30);
        int64_t paid = 0, succeeded = 0, forming = 0, failed = 0, over = 0, bad = 0;
        for (;;) {
          paid = succeeded = forming = failed = over = bad = 0;
          for (auto& id : total.group_ids) {
            HttpResponse r = co_await c.Send("GET", "/api/v1/groups/" + id);
            Json g = ParseBody(r);
            if (!r.ok() || g.is_discarded()) {
              ++bad;
              continue;
            }
            int64_t size = g.value("size", 0), pm = g.value("paid_members", 0), taken = g.value("seats_taken", 0);
            std::string st = g.value("status", "");
            paid += pm;
            if (pm > size || taken > size) ++over;
            if (st == "succeeded") ++succeeded;
            else if (st == "forming") ++forming;
            else ++failed;
            if (st == "succeeded" && pm != size) ++bad;
          }
          if (paid >= seats || SteadyClock::now() > give_up) break;
          co_await Sleep(std::chrono::milliseconds(200));
        }
        extra["seats_paid"] = seats;
        extra["paid_members_seen"] = paid;
        extra["groups"] = total.group_ids.size();
        extra["groups_succeeded"] = succeeded;
        extra["groups_forming"] = forming;
        extra["groups_failed"] = failed;
        extra["groups_overfilled"] = over;
        extra["groups_inconsistent"] = bad;
        extra["group_size"] = opt.group_size;
        extra["exact"] = over == 0 && bad == 0 && paid == seats;
      }
    });
  }
  // checkout/mixed: checkouts that found their SKU sold out (another SKU was then tried).
  if (!promo && total.refused > 0) extra["sold_out_refusals"] = total.refused;
  if (opt.scenario == "checkout" || opt.scenario == "hot") extra["pay"] = opt.pay;
  if (opt.scenario == "hot") {
    extra["members"] = opt.members;
    extra["complete"] = opt.complete;
  }
  if (w.eps.size() > 1) extra["targets"] = w.eps.size();
  std::string line = fmt::format(
      R"({{"bench":"loadgen","scenario":"{}","connections":{},"threads":{},"rate":{},"duration_s":{:.2f},"ops":{},)"
      R"("ops_per_s":{:.1f},"p50_ms":{:.2f},"p99_ms":{:.2f},"p999_ms":{:.2f},"max_ms":{:.2f},"errors":{},"error_codes":{},)"
      R"("setup_errors":{},"polls_per_op":{:.2f},"invariants_ok":null}})",
      opt.scenario, opt.connections, opt.threads, opt.rate, elapsed_s, total.ops, static_cast<double>(total.ops) / elapsed_s,
      Percentile(total.latency_us, 0.50), Percentile(total.latency_us, 0.99), Percentile(total.latency_us, 0.999),
      total.latency_us.empty() ? 0.0 : static_cast<double>(total.latency_us.back()) / 1000.0, total.errors, codes.dump(),
      setup_errors, total.ops > 0 ? static_cast<double>(total.polls) / static_cast<double>(total.ops) : 0.0);
  if (!extra.empty()) {
    std::string more = extra.dump();
    line.pop_back();
    line += "," + more.substr(1);
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  // Abandoned ops still hold coroutine frames on stopped io_contexts: leave without unwinding.
  if (abandoned) _exit(0);
  return 0;
}

// The HTTP edge as an outsider meets it: request framing (Transfer-Encoding), the body's
// Content-Type, who may read /metrics, and static files under every spelling of a path. The
// framing cases go over a raw socket, since a well-behaved client cannot send them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "http/api.h"
#include "http/product_cache.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

// Sends `bytes` on a new connection and returns everything the server sends back until it
// closes the connection or `wait_ms` pass (a server keeping the connection open ends the
// read at the deadline: the caller's assertions then fail, the test never hangs).
std::string RawExchange(uint16_t port, const std::string& bytes, int wait_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  (void)!::write(fd, bytes.data(), bytes.size());
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) != 1) break;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class HttpEdge : public ApiTest {};

// RFC 9112 §6.3: a Transfer-Encoding whose final coding is not chunked leaves the body's
// length unknown; the server answers 400 and closes. Before, the body was parsed as a second
// request (request smuggling through a proxy that framed it differently).
TEST_F(HttpEdge, TransferEncodingOtherThanChunkedIs400AndCloses) {
  const std::string smuggled = "GET /api/v1/products/categories HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const std::string te : {"Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
                               "Transfer-Encoding: identity\r\n", "Transfer-Encoding: gzip, chunked\r\n",
                               "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"}) {
    std::string got = RawExchange(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n" + te + "\r\n" + smuggled);
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << te << got;
    EXPECT_EQ(Count(got, "HTTP/1.1 "), 1u) << te << got;  // the smuggled request never ran
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << te << got;
  }
  // A chunked body is still read as one request.
  std::string body = R"({"phone":"13800000000","password":"admin123"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  std::string got = RawExchange(port_, std::string("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                   "Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n") +
                                           size + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

// docs/api.md: a request with a body must say Content-Type: application/json, else 400.
TEST_F(HttpEdge, BodyWithoutJsonContentTypeIs400) {
  std::string body = R"({"phone":"13800000000","password":"admin123"})";
  auto post = [&](const std::string& content_type_line) {
    return RawExchange(port_, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + content_type_line +
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  for (const std::string ct : {"", "Content-Type: text/plain\r\n", "Content-Type: application/jsonx\r\n"}) {
    std::string got = post(ct);
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << ct << got;
    EXPECT_NE(got.find("BAD_REQUEST"), std::string::npos) << ct << got;
  }
  EXPECT_EQ(post("Content-Type: application/json\r\n").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(post("Content-Type: Application/JSON; charset=utf-8\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

// The product cache's order (http/product_cache.h): a page read earlier never replaces one read
// later, and a page read before an invalidation of its product is not cached.
TEST(ProductCacheOrder, AnOlderReadNeverReplacesANewerOneNorOutlivesAnInvalidation) {
  http::ProductCache cache;
  uint64_t slow = cache.Generation(), fast = cache.Generation();
  cache.Put(1, {11}, "stock 150", fast);
  cache.Put(1, {11}, "stock 151", slow);  // the slow reader's snapshot was older
  ASSERT_NE(cache.Get(1), nullptr);
  EXPECT_EQ(*cache.Get(1), "stock 150");
  uint64_t before = cache.Generation();
  cache.Invalidate({RowChange{1, 11, false}});  // SKU 11 of product 1
  EXPECT_EQ(cache.Get(1), nullptr);
  cache.Put(1, {11}, "read before the invalidation", before);
  EXPECT_EQ(cache.Get(1), nullptr);
  // A SKU no cached page lists: a reader that has not put its page yet is refused all the same.
  uint64_t racing = cache.Generation();
  cache.Invalidate({RowChange{1, 22, false}});
  cache.Put(2, {22}, "read before SKU 22 changed", racing);
  EXPECT_EQ(cache.Get(2), nullptr);
  cache.Put(2, {22}, "read after", cache.Generation());
  EXPECT_NE(cache.Get(2), nullptr);
  // Notifications lost (PostgreSQL): everything goes.
  cache.Invalidate({RowChange{RowChange::kAnyTable, 0, false}});
  EXPECT_EQ(cache.Get(2), nullptr);
}

// Around a local COMMIT (RowPhase::kCommitting .. kVisible) the cache serves and caches
// nothing: a page read before the commit is not served once readers can see the commit, even
// before the commit's own invalidation has dropped it.
TEST(ProductCacheOrder, NothingIsServedOrCachedWhileACommitBecomesVisible) {
  http::ProductCache cache;
  cache.Put(1, {11}, "stock 150", cache.Generation());
  ASSERT_NE(cache.Get(1), nullptr);
  uint64_t before_hold = cache.Generation();
  cache.Hold();
  EXPECT_EQ(cache.Get(1), nullptr);  // the commit may already be visible: read the store
  uint64_t during_hold = cache.Generation();
  cache.Put(2, {22}, "read during the hold", during_hold);
  cache.Invalidate({RowChange{1, 11, false}});  // the commit's rows (kVisible)
  cache.Release();
  EXPECT_EQ(cache.Get(1), nullptr);
  EXPECT_EQ(cache.Get(2), nullptr);  // refused while held
  cache.Put(2, {22}, "read before the hold", before_hold);
  cache.Put(2, {22}, "read during the hold", during_hold);
  EXPECT_EQ(cache.Get(2), nullptr);  // both may predate the commit
  cache.Put(2, {22}, "read after", cache.Generation());
  ASSERT_NE(cache.Get(2), nullptr);
  EXPECT_EQ(*cache.Get(2), "read after");
  cache.Release();  // unpaired (PostgreSQL never holds): changes nothing
  EXPECT_NE(cache.Get(2), nullptr);
}

TEST(Metrics, LoopbackOnlyUnlessATokenIsSet) {
  EXPECT_TRUE(http::MetricsAllowed("127.0.0.1", "", ""));
  EXPECT_TRUE(http::MetricsAllowed("::1", "", ""));
  EXPECT_TRUE(http::MetricsAllowed("::ffff:127.0.0.1", "", ""));
  EXPECT_FALSE(http::MetricsAllowed("10.1.2.3", "", ""));
  EXPECT_FALSE(http::MetricsAllowed("203.0.113.7", "Bearer anything", ""));
  // With a token, loopback is not enough (a proxy on the same host is loopback too).
  EXPECT_FALSE(http::MetricsAllowed("127.0.0.1", "", "s3cret"));
  EXPECT_FALSE(http::MetricsAllowed("127.0.0.1", "Bearer s3cre", "s3cret"));
  EXPECT_TRUE(http::MetricsAllowed("203.0.113.7", "Bearer s3cret", "s3cret"));
}

class MetricsWithToken : public ApiTest {
  void Configure(AppOptions& o) override { o.metrics_token = "s3cret"; }
};

TEST_F(MetricsWithToken, MetricsNeedTheToken) {
  auto client = NewClient();
  EXPECT_EQ(client->Send("GET", "/metrics").status, 403);
  EXPECT_EQ(client->Send("GET", "/metrics", "", {{"Authorization", "Bearer wrong"}}).status, 403);
  auto ok = client->Send("GET", "/metrics", "", {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("xd_pipeline_commands_total"), std::string::npos);
}

class StaticFiles : public ApiTest {
 protected:
  void Configure(AppOptions& o) override {
    auto dist = dir_ / "web" / "shop" / "dist";
    std::filesystem::create_directories(dist / "assets");
    std::ofstream(dist / "index.html") << "<html>shop</html>";
    std::ofstream(dist / "assets" / "app.js") << "console.log('app')";
    std::ofstream(dir_ / "web" / "secret.txt") << "not served";
    o.web_root = (dir_ / "web").string();
  }
  int64_t CachedFiles() {
    auto m = NewClient()->Send("GET", "/metrics");
    size_t at = m.body.find("\nxd_static_files_cached ");
    if (at == std::string::npos) return -1;
    return std::stoll(m.body.substr(at + 24));
  }
};

// Each distinct spelling of a path used to keep its own copy of the file in memory: 2,000
// requests took the server from 13 MB to 854 MB. Paths are normalised first now.
TEST_F(StaticFiles, EverySpellingOfAPathIsOneCachedFile) {
  auto client = NewClient();
  for (int i = 0; i < 200; ++i) {
    std::string dots;
    for (int k = 0; k <= i % 20; ++k) dots += (k % 2) ? "./" : "/";
    std::string path = "/assets/" + dots + std::string(i / 20, '/') + "app.js";
    auto r = client->Send("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    ASSERT_EQ(r.body, "console.log('app')") << path;
  }
  EXPECT_EQ(client->Send("GET", "/").body, "<html>shop</html>");
  EXPECT_EQ(CachedFiles(), 2);  // app.js and index.html
  // Traversal is refused, whatever the spelling.
  for (std::string path : {"/../secret.txt", "/assets/../../secret.txt", "/./../secret.txt", "/console/../../secret.txt"}) {
    auto r = client->Send("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("not served"), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace xd::testing

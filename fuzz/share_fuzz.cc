// Fuzz target: share-link codes. A small world (a c2c shop, one product, 64 share links)
// lives in a temporary store; every input is looked up as a code. Properties: lookups never
// crash; an input resolves only when it is exactly one of the issued codes, and then to
// that code's share; issued codes are 12 base62 characters and all distinct.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "account/account.h"
#include "app/app.h"
#include "catalog/catalog.h"
#include "promo/promo.h"

namespace {

struct World {
  std::filesystem::path dir;
  xd::FakeClock clock;
  std::unique_ptr<xd::App> app;
  std::map<std::string, int64_t> codes;  // issued code → share id
};

xd::Status Build(World& w) {
  w.dir = std::filesystem::temp_directory_path() / ("xd_share_fuzz_" + std::to_string(::getpid()));
  std::filesystem::remove_all(w.dir);
  std::filesystem::create_directories(w.dir);
  xd::AppOptions o;
  o.db_path = (w.dir / "db").string();
  o.background = false;
  ASSIGN_OR_RETURN(w.app, xd::App::Create(o, w.clock));
  xd::Store& store = w.app->store();
  return store.Execute([&](xd::Tx& tx) -> xd::Status {
    ASSIGN_OR_RETURN(xd::account::User owner, xd::account::CreateUser(tx, "13900000001", "x", "店主", false));
    ASSIGN_OR_RETURN(xd::account::Merchant m, xd::account::OpenMerchant(tx, {owner.id, false}, "c2c", "小店", std::nullopt));
    xd::catalog::ProductInput in;
    in.title = "挂耳咖啡";
    in.category = "咖啡";
    in.status = "on_sale";
    in.skus.push_back({xd::Json::object(), 1990, 10, "SKU-1"});
    ASSIGN_OR_RETURN(xd::catalog::Product p, xd::catalog::CreateProduct(tx, m.id, in));
    for (int i = 0; i < 64; ++i) {
      // One link per tuple (CreateShare is idempotent): a chat group each makes 64 links.
      xd::promo::ShareRequest req{.target_id = p.id, .chat_group = "群" + std::to_string(i)};
      ASSIGN_OR_RETURN(xd::promo::Share s, w.app->promo().CreateShare(tx, owner.id, req));
      if (s.code.size() != 12) std::abort();
      for (char c : s.code)
        if (!std::isalnum(static_cast<unsigned char>(c))) std::abort();
      if (!w.codes.emplace(s.code, s.id).second) std::abort();  // two links, one code
    }
    return xd::Ok();
  });
}

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    if (!Build(*world)) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TheWorld().dir, ec);  // the store stays open: removing is enough on POSIX
    });
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  std::string code(reinterpret_cast<const char*>(data), size);
  // Mutations of a real code are the interesting neighbours: with the first byte 0x01 the
  // rest of the input is applied over an issued code.
  if (size > 1 && data[0] == 1) {
    std::string base = std::next(w.codes.begin(), data[1] % w.codes.size())->first;
    for (size_t i = 2; i < size; ++i) base[(i - 2) % base.size()] = static_cast<char>(data[i]);
    code = base;
  }
  auto found = w.app->store().Read([&](xd::Reader& r) { return w.app->promo().ShareByCode(r, code); });
  auto issued = w.codes.find(code);
  if (found) {
    if (issued == w.codes.end() || found->id != issued->second || found->code != code) __builtin_trap();
  } else {
    if (issued != w.codes.end() || found.error().code != xd::ErrorCode::NOT_FOUND) __builtin_trap();
  }
  return 0;
}

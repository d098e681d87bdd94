#include <algorithm>
#include <functional>
#include <random>
#include <set>

#include <zlib.h>

#include <gtest/gtest.h>

#include "base/mask.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/money.h"
#include "base/qr.h"

namespace xd {
namespace {

// Relations between limits that the code relies on; a change to one value that breaks them
// fails the build here rather than in production.
// A list request without ?limit= must itself be a valid page size.
static_assert(limits::kDefaultPageSize >= 1 && limits::kDefaultPageSize <= limits::kMaxPageSize);
// An order at every limit (50 SKUs × 999 units at the highest price) has a total that fits in
// int64 fen with room for 10000 of them in one sum, so checked Money arithmetic never refuses
// valid input.
static_assert(limits::kMaxSkuPriceFen <= INT64_MAX / limits::kMaxLineQuantity /
                                             static_cast<int64_t>(limits::kMaxOrderLines) / 10'000);
// A product at every limit fits in one request body (text counted twice over: Chinese sent as
// \uXXXX escapes takes 6 bytes for 3), or the SKU and attribute limits could not be reached.
static_assert(2 * (limits::kMaxProductTitleLen + limits::kMaxProductDescriptionLen + limits::kMaxCategoryLen +
                   limits::kMaxProductAttributes * (limits::kMaxAttributeKeyLen + limits::kMaxAttributeValueLen + 8) +
                   limits::kMaxProductImages * (limits::kMaxUrlLen + 4) +
                   limits::kMaxSkusPerProduct *
                       (limits::kMaxSkuSpecKeys * (limits::kMaxAttributeKeyLen + limits::kMaxAttributeValueLen + 8) +
                        limits::kMaxSkuCodeLen + 64)) <= limits::kMaxRequestBodyBytes);
// A coupon or a share-to-drop tier never takes 100% off.
static_assert(limits::kMaxPercentOffBps < 10'000);
// A threshold coupon of the largest amount can still be given a larger threshold.
static_assert(limits::kMaxCouponAmountFen < limits::kMaxMinSpendFen);

TEST(MaskTest, PhonesKeepTheFirstThreeAndLastFourCharacters) {
  EXPECT_EQ(MaskPhone("13900001111"), "139****1111");
  EXPECT_EQ(MaskPhone("8613900001111"), "861******1111");
  // Short ones show nothing: 7 characters kept whole would be the whole phone.
  EXPECT_EQ(MaskPhone("1234567"), "*******");
  EXPECT_EQ(MaskPhone("123"), "***");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(MaskTest, NamesKeepTheirFirstCharacterWhole) {
  EXPECT_EQ(MaskName("小王"), "小*");
  EXPECT_EQ(MaskName("欧阳小明"), "欧*");
  EXPECT_EQ(MaskName("Alice"), "A*");
  EXPECT_EQ(MaskName("😀x"), "😀*");
  EXPECT_EQ(MaskName(""), "*");
}

TEST(MoneyTest, CheckedArithmetic) {
  EXPECT_EQ(Money::Fen(100).Add(Money::Fen(23))->fen(), 123);
  EXPECT_FALSE(Money::Fen(INT64_MAX).Add(Money::Fen(1)));
  EXPECT_FALSE(Money::Fen(INT64_MIN).Sub(Money::Fen(1)));
  EXPECT_FALSE(Money::Fen(INT64_MAX / 2).Mul(3));
  EXPECT_EQ(Money::Fen(9999).ApplyBps(500)->fen(), 499);  // 499.95 rounds down
}

TEST(MoneyTest, SplitSumsExactly) {
  std::vector<int64_t> weights = {1, 1, 1};
  auto parts = SplitByWeights(Money::Fen(100), weights, 0);
  ASSERT_TRUE(parts);
  EXPECT_EQ((*parts)[0].fen(), 34);
  EXPECT_EQ((*parts)[1].fen(), 33);
  EXPECT_EQ((*parts)[2].fen(), 33);
  for (int64_t total : {0, 1, 7, 99, 1000003}) {
    std::vector<int64_t> w = {3, 5, 0, 11};
    auto p = SplitByWeights(Money::Fen(total), w, 3);
    int64_t sum = 0;
    for (auto m : *p) sum += m.fen();
    EXPECT_EQ(sum, total);
  }
  std::vector<int64_t> zeros = {0, 0};
  EXPECT_FALSE(SplitByWeights(Money::Fen(5), zeros, 0));
}

TEST(MoneyTest, ParseYuan) {
  EXPECT_EQ(ParseYuan("12.34"), 1234);
  EXPECT_EQ(ParseYuan("0.5"), 50);
  EXPECT_EQ(ParseYuan("7"), 700);
  EXPECT_EQ(ParseYuan("1.234"), std::nullopt);
  EXPECT_EQ(ParseYuan("-1"), std::nullopt);
  EXPECT_EQ(ParseYuan("1e3"), std::nullopt);
  // The largest amount that fits in int64 fen, and one fen (or one yuan) beyond it.
  EXPECT_EQ(ParseYuan("92233720368547758.07"), std::nullopt);  // 20 characters: too long anyway
  EXPECT_EQ(ParseYuan("92233720368547758"), 9'223'372'036'854'775'800);
  EXPECT_EQ(ParseYuan("92233720368547759"), std::nullopt);
  EXPECT_EQ(ParseYuan("999999999999999999"), std::nullopt);  // 18 digits: overflowed before
  EXPECT_EQ(ParseYuan("99999999999999999"), std::nullopt);   // 17 digits
  EXPECT_EQ(ParseYuan("9223372036854775.8"), 922'337'203'685'477'580);
}

TEST(IdTest, TimeOrderedAndUnique) {
  FakeClock clock;
  IdGenerator ids(clock);
  int64_t a = ids.Next(), b = ids.Next();
  EXPECT_LT(a, b);
  clock.AdvanceMs(1);
  int64_t c = ids.Next();
  EXPECT_LT(b, c);
  EXPECT_EQ(ParseId(IdString(c)), c);
  EXPECT_EQ(ParseId("12x"), std::nullopt);
  EXPECT_EQ(ParseId("-5"), std::nullopt);
  EXPECT_EQ(ParseId("99999999999999999999"), std::nullopt);
}

// Node numbers keep two processes' ids apart in the same millisecond, and a millisecond's
// overflow borrows the next millisecond, never the node bits.
TEST(IdTest, NodesNeverMintTheSameIdAndOverflowKeepsTheNode) {
  FakeClock clock;
  IdGenerator a(clock), b(clock);
  a.SetNode(1);
  b.SetNode(2);
  std::set<int64_t> seen;
  for (int i = 0; i < 10'000; ++i) {  // > 4,096 per millisecond: both overflow
    int64_t x = a.Next(), y = b.Next();
    EXPECT_EQ(IdGenerator::NodeOf(x), 1);
    EXPECT_EQ(IdGenerator::NodeOf(y), 2);
    EXPECT_TRUE(seen.insert(x).second);
    EXPECT_TRUE(seen.insert(y).second);
  }
  int64_t last = a.Next();
  clock.AdvanceMs(1000);  // past what the overflow borrowed: back on the clock
  EXPECT_GT(a.Next(), last);
}

TEST(ClockTest, Rfc3339RoundTrip) {
  int64_t ms = 1'767'225'600'123;
  EXPECT_EQ(FormatRfc3339(ms), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(FormatCompactUtc(ms), "20260101000000");
  EXPECT_EQ(FormatCompactUtc(ms - 124), "20251231235959");
  EXPECT_EQ(ParseRfc3339("2026-01-01T00:00:00.123Z"), ms);
  EXPECT_EQ(ParseRfc3339("2026-01-01T00:00:00Z"), ms - 123);
  EXPECT_EQ(ParseRfc3339("2026-13-01T00:00:00Z"), -1);
  EXPECT_EQ(ParseRfc3339("yesterday"), -1);
}

TEST(JsonTest, ParseLimits) {
  EXPECT_TRUE(ParseJson(R"({"a":[1,2,{"b":"c"}]})"));
  EXPECT_EQ(ParseJson("{").error().code, ErrorCode::INVALID_JSON);
  EXPECT_EQ(ParseJson(std::string(100, '[') + std::string(100, ']')).error().code, ErrorCode::INVALID_JSON);
  EXPECT_FALSE(ParseJson("{\"a\":\"\xff\xfe\"}"));  // invalid UTF-8
}

// JsonWriter writes what DumpJson of the same tree writes, escapes included (control
// characters, quotes, backslashes, Chinese text kept as UTF-8, invalid UTF-8 replaced).
TEST(JsonTest, WriterMatchesTheCodec) {
  const std::string tricky = std::string("引号\"反斜杠\\ 换行\n\t\x01 ") + "\x7f" + " 😀";
  const std::string broken = "bad \xff\xfe utf8";
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("s").String(tricky);
  w.Key("broken").String(broken);
  w.Key("n").Int(INT64_MIN);
  w.Key("t").Bool(true);
  w.Key("z").Null();
  w.Key("empty").BeginArray().EndArray();
  w.Key("list").BeginArray();
  w.Int(1).String("二").BeginObject().Key("k").Value(Json{{"x", 1}}).EndObject();
  w.EndArray();
  w.Key("raw").Raw(R"({"a":[1]})");
  w.Key(tricky).BeginObject().EndObject();
  w.EndObject();
  Json expected{{"s", tricky}, {"broken", broken}, {"n", INT64_MIN}, {"t", true}, {"z", nullptr}, {"empty", Json::array()},
                {"list", Json::array({1, "二", Json{{"k", Json{{"x", 1}}}}})}, {"raw", Json{{"a", {1}}}}, {tricky, Json::object()}};
  auto parsed = ParseJson(out);
  ASSERT_TRUE(parsed) << out;
  EXPECT_EQ(*parsed, *ParseJson(DumpJson(expected)));
  // String by string, the bytes are DumpJson's.
  std::string one;
  JsonWriter(one).String(tricky);
  EXPECT_EQ(one, DumpJson(Json(tricky)));
  one.clear();
  JsonWriter(one).String(broken);
  EXPECT_EQ(one, DumpJson(Json(broken)));
}

// StoredJsonWithout gives what the parser's own member filter gives (the reference below), for
// random documents — nested objects and arrays, the skipped names at every depth, strings with
// quotes, backslashes, brackets and escaped names — compact and indented, and for text the byte
// scan gives up on (cut short, trailing garbage).
TEST(JsonTest, StoredJsonWithoutDropsTheSkippedMembersAtAnyDepth) {
  const std::vector<std::string> skip = {"title", "address", "items_fen"};
  auto reference = [&](std::string_view text) {
    Json::parser_callback_t keep = [&](int, Json::parse_event_t event, Json& parsed) {
      return event != Json::parse_event_t::key ||
             std::find(skip.begin(), skip.end(), parsed.get_ref<const std::string&>()) == skip.end();
    };
    Json j = Json::parse(text, keep, false);
    return j.is_discarded() ? Json() : j;
  };
  std::mt19937_64 rng(20261205);
  const std::vector<std::string> keys = {"title", "address", "items_fen", "id", "items", "a\"b",
                                         "[x]", "标题", "title2", "{", "\\"};
  const std::vector<std::string> strings = {"", "纯文本", "quote \" and \\ back", "} ] { [ , :",
                                            "\\\"", "title", "\u00e9\n"};
  std::function<Json(int)> random_value = [&](int depth) -> Json {
    switch (depth > 4 ? rng() % 4 : rng() % 6) {
      case 0: return Json(static_cast<int64_t>(rng() % 2000) - 1000);
      case 1: return Json(strings[rng() % strings.size()]);
      case 2: return rng() % 2 ? Json(nullptr) : Json(rng() % 2 == 0);
      case 3: return Json(1.5 * static_cast<double>(rng() % 100));
      case 4: {
        Json a = Json::array();
        for (int n = static_cast<int>(rng() % 4); n > 0; --n) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        Json o = Json::object();
        for (int n = static_cast<int>(rng() % 5); n > 0; --n) o[keys[rng() % keys.size()]] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int round = 0; round < 2000; ++round) {
    Json doc = Json::object();
    for (int n = static_cast<int>(rng() % 6); n > 0; --n) doc[keys[rng() % keys.size()]] = random_value(1);
    for (const std::string& text : {DumpJson(doc), doc.dump(2)}) {
      std::string cut;  // the byte scan follows every valid document
      ASSERT_TRUE(CutJsonMembers(text, skip, cut)) << text;
      ASSERT_EQ(Json::parse(cut, nullptr, false), reference(text)) << text << "\n" << cut;
      ASSERT_EQ(StoredJsonWithout(text, skip), reference(text)) << text;
      // Cut short, or followed by garbage: the scan gives up and the answer is still the parser's.
      const std::string part = text.substr(0, rng() % (text.size() + 1));
      ASSERT_EQ(StoredJsonWithout(part, skip), reference(part)) << part;
      ASSERT_EQ(StoredJsonWithout(text + " x", skip), reference(text + " x"));
    }
  }
  // A skipped name written with an escape is kept (compared as written); the rest as above.
  EXPECT_EQ(StoredJsonWithout(R"({"tit\u006ce":1,"title":{"a":[1,"]"]},"b":2})", skip),
            (Json{{"title", 1}, {"b", 2}}));
}

TEST(JsonTest, ObjectReaderTypesAndUnknownFields) {
  auto j = *ParseJson(R"({"phone":"138","qty":3,"id":"42","extra":1})");
  ObjectReader r(j);
  EXPECT_EQ(r.String("phone"), "138");
  EXPECT_EQ(r.Int("qty", {.min = 1, .max = 5}), 3);
  EXPECT_EQ(r.Id("id"), 42);
  auto s = r.Finish();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::UNKNOWN_FIELD);

  auto bad = *ParseJson(R"({"qty":"3"})");
  ObjectReader r2(bad);
  r2.Int("qty");
  EXPECT_EQ(r2.Finish().error().code, ErrorCode::INVALID_FIELD);

  auto missing = *ParseJson(R"({})");
  ObjectReader r3(missing);
  r3.String("phone");
  EXPECT_EQ(r3.Finish().error().code, ErrorCode::MISSING_FIELD);

  auto chinese = *ParseJson(R"({"t":"咖啡豆"})");
  ObjectReader r4(chinese);
  r4.String("t", {.max_len = 3});
  EXPECT_TRUE(r4.Finish());
}

TEST(ErrorTest, CodesMapToStatuses) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::OUT_OF_STOCK), "OUT_OF_STOCK");
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::OUT_OF_STOCK), 409);
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::RATE_LIMITED), 429);
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::UNAVAILABLE), 503);
}

}  // namespace
}  // namespace xd

namespace xd {
namespace {

TEST(Crypto, KnownVectorsAndRandomShapes) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),                                       // RFC 4231 #2
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(RandomHex(12).size(), 24u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
  EXPECT_EQ(RandomBase64Url(32).size(), 43u);
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
}

}  // namespace
}  // namespace xd

namespace xd {
namespace {

// The PNG's pixels, inflated back: white quiet zone, the finder pattern's dark corner, and
// every module as EncodeQr gave it.
TEST(QrTest, PngAndSvgDrawTheSymbol) {
  ASSERT_FALSE(EncodeQr("").has_value());
  ASSERT_FALSE(EncodeQr(std::string(kMaxQrTextLen + 1, 'a')).has_value());
  auto code = EncodeQr("https://xiaodian.example/#/c/k3JqZ0pQ8w");
  ASSERT_TRUE(code.has_value());
  EXPECT_GE(code->size, 21);
  EXPECT_EQ((code->size - 17) % 4, 0);  // versions grow by 4 modules
  EXPECT_TRUE(code->Dark(0, 0));        // finder patterns in three corners
  EXPECT_TRUE(code->Dark(code->size - 1, 0));
  EXPECT_TRUE(code->Dark(0, code->size - 1));

  constexpr int kPx = 3, kQuiet = 4;
  std::string png = QrPng(*code, kPx, kQuiet);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const int side = (code->size + 2 * kQuiet) * kPx;
  auto u32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(u32(16), static_cast<uint32_t>(side));
  size_t idat_len = u32(33);
  ASSERT_EQ(png.substr(37, 4), "IDAT");
  std::string raw(static_cast<size_t>(side) * (side + 1), '\0');
  uLongf raw_len = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len, reinterpret_cast<const Bytef*>(png.data() + 41), idat_len), Z_OK);
  ASSERT_EQ(raw_len, raw.size());
  auto pixel = [&](int x, int y) { return static_cast<unsigned char>(raw[static_cast<size_t>(y) * (side + 1) + 1 + x]); };
  EXPECT_EQ(pixel(0, 0), 0xff);  // quiet zone
  for (int y = 0; y < code->size; ++y)
    for (int x = 0; x < code->size; ++x)
      ASSERT_EQ(pixel((x + kQuiet) * kPx + 1, (y + kQuiet) * kPx + 1), code->Dark(x, y) ? 0x00 : 0xff) << x << "," << y;
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");

  std::string svg = QrSvg(*code, kPx, kQuiet);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("M" + std::to_string(kQuiet * kPx) + "," + std::to_string(kQuiet * kPx) + "h"), std::string::npos);
  EXPECT_EQ(svg, QrSvg(*EncodeQr("https://xiaodian.example/#/c/k3JqZ0pQ8w"), kPx, kQuiet));  // a pure function of the text
}

}  // namespace
}  // namespace xd

#include "base/messages.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace xd {
namespace {

std::set<std::string> Placeholders(std::string_view tmpl) {
  std::set<std::string> out;
  for (size_t open = tmpl.find('{'); open != std::string_view::npos;
       open = tmpl.find('{', open + 1)) {
    size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    out.emplace(tmpl.substr(open + 1, close - open - 1));
  }
  return out;
}

TEST(Messages, EveryKeyHasAZhAndAnEnTemplateQuotingTheSameParams) {
  std::set<std::string> names;
  for (Msg m : AllMsgs()) {
    std::string name(MsgName(m));
    EXPECT_TRUE(names.insert(name).second) << name;
    std::string_view zh = Template(m, Lang::kZh), en = Template(m, Lang::kEn);
    EXPECT_FALSE(zh.empty()) << name << " has no zh template";
    EXPECT_FALSE(en.empty()) << name << " has no en template";
    EXPECT_EQ(Placeholders(zh), Placeholders(en)) << name;
    // A zh template is Chinese: outside its {params} it has at least one non-ASCII character.
    std::string outside(zh);
    for (const std::string& p : Placeholders(zh)) {
      for (size_t at = outside.find("{" + p + "}"); at != std::string::npos;
           at = outside.find("{" + p + "}"))
        outside.erase(at, p.size() + 2);
    }
    EXPECT_TRUE(std::any_of(outside.begin(), outside.end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        << name << "'s zh template is not Chinese: " << zh;
  }
}

TEST(Messages, EveryCodeHasAGenericKeyWithItsOwnCode) {
#define XD_CHECK_CODE(name, status) \
  EXPECT_EQ(MsgCode(DefaultMsg(ErrorCode::name)), ErrorCode::name) << #name;
  XD_ERROR_CODES(XD_CHECK_CODE)
#undef XD_CHECK_CODE
}

TEST(Messages, RendersParamsLabelsAndYuanInEachLanguage) {
  Error e = MakeError(Msg::PER_USER_LIMIT, {{"limit", 1}, {"held", 0}});
  EXPECT_EQ(e.code, ErrorCode::LIMIT_EXCEEDED);
  EXPECT_EQ(Render(e, Lang::kZh), "每人限购 1 件，你已购买 0 件");
  EXPECT_EQ(Render(e, Lang::kEn), "Limit 1 per person; you already hold 0");
  EXPECT_EQ(e.message, Render(e, Lang::kEn));

  Error field = MakeError(Msg::FIELD_REQUIRED, {Field("items[2].quantity")});
  EXPECT_EQ(Render(field, Lang::kZh), "请填写数量");
  EXPECT_EQ(Render(field, Lang::kEn), "quantity is required");
  Json j = ErrorJson(field, Lang::kZh)["error"];
  EXPECT_EQ(j["code"], "MISSING_FIELD");
  EXPECT_EQ(j["reason"], "FIELD_REQUIRED");
  EXPECT_EQ(j["params"]["field"], "items[2].quantity");  // raw, for API clients

  Error price = MakeError(Msg::ACTIVITY_PRICE_NOT_BELOW, {Fen("sku_price", 1250)});
  EXPECT_EQ(Render(price, Lang::kZh), "活动价须低于商品原价 ¥12.50");
  EXPECT_EQ(ErrorJson(price, Lang::kEn)["error"]["params"]["sku_price"], 1250);

  // A word without a label is never shown raw to a zh reader.
  Error odd = MakeError(Msg::FIELD_REQUIRED, {Field("no_such_field_xyz")});
  EXPECT_EQ(Render(odd, Lang::kZh).find("no_such_field_xyz"), std::string::npos);

  // Free text never reaches a user: the code's generic message does.
  Error text{ErrorCode::NOT_FOUND, "sku not found", std::nullopt, {}};
  EXPECT_EQ(Render(text, Lang::kZh), "找不到要访问的内容");
  EXPECT_EQ(ErrorJson(text, Lang::kZh)["error"]["reason"], "NOT_FOUND");
}

TEST(Messages, AcceptLanguagePrefersByQValueAndDefaultsToZh) {
  EXPECT_EQ(ParseAcceptLanguage(""), Lang::kZh);
  EXPECT_EQ(ParseAcceptLanguage("en"), Lang::kEn);
  EXPECT_EQ(ParseAcceptLanguage("en-US,en;q=0.9"), Lang::kEn);
  EXPECT_EQ(ParseAcceptLanguage("zh-CN,zh;q=0.9,en;q=0.8"), Lang::kZh);
  EXPECT_EQ(ParseAcceptLanguage("zh;q=0.5, en;q=0.8"), Lang::kEn);
  EXPECT_EQ(ParseAcceptLanguage("fr-FR, en;q=0.3, zh;q=0.2"), Lang::kEn);
  EXPECT_EQ(ParseAcceptLanguage("fr, de"), Lang::kZh);  // unknown languages: zh
  EXPECT_EQ(ParseAcceptLanguage("en;q=0"), Lang::kZh);  // q=0: not acceptable
  EXPECT_EQ(ParseAcceptLanguage("EN-gb ; Q=1"), Lang::kEn);
  EXPECT_EQ(ParseAcceptLanguage("en;q=abc"), Lang::kZh);  // a malformed weight drops the range
  EXPECT_EQ(ParseAcceptLanguage("*"), Lang::kZh);
  EXPECT_EQ(ParseAcceptLanguage("en, zh"), Lang::kEn);  // a tie: the first listed
}

// ---- the source: no free text that bypasses the catalogue ----

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Free-text errors (Fail(ErrorCode::X, "...") or Error{ErrorCode::X, "..."}) are left for
// operators: codes users never read a specific message for (INTERNAL: the text is logged;
// UNAVAILABLE and ABORTED: "try again"), and the store's internals, whose other refusals are
// programming errors. Everything else a user can meet goes through a catalogue key.
bool AllowedFreeText(const std::string& rel_path, const std::string& code) {
  if (code == "INTERNAL" || code == "UNAVAILABLE" || code == "ABORTED") return true;
  if (rel_path.rfind("store/internal/", 0) == 0) return true;
  if (rel_path == "base/result.h" || rel_path == "trade/states.h") return true;  // usage comments
  return false;
}

TEST(Messages, NoUserFacingErrorIsFreeText) {
  const std::filesystem::path root = XD_SOURCE_DIR;
  const std::regex free_text(R"((?:Fail\(\s*|Error\{\s*)ErrorCode::([A-Z_]+))");
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = std::filesystem::relative(entry.path(), root).string();
    std::string ext = entry.path().extension().string();
    if ((ext != ".cc" && ext != ".h") || rel.ends_with("_test.cc") || rel.ends_with("_bench.cc"))
      continue;
    std::string text = ReadFile(entry.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), free_text);
         it != std::sregex_iterator(); ++it) {
      std::string code = (*it)[1];
      if (AllowedFreeText(rel, code)) continue;
      size_t line = std::count(text.begin(), text.begin() + it->position(), '\n') + 1;
      found.push_back(rel + ":" + std::to_string(line) + " " + code);
    }
  }
  std::string list;
  for (const std::string& f : found) list += "  " + f + "\n";
  EXPECT_TRUE(found.empty())
      << "errors users can see must use a catalogue key (base/messages.h), not free text:\n"
      << list;
}

// Every field a request reader names has a label, so validation messages never quote a raw
// field name to a zh reader.
TEST(Messages, EveryRequestFieldHasALabel) {
  const std::filesystem::path root = XD_SOURCE_DIR;
  const std::regex getter(
      R"re(\.(?:String|OptString|Int|OptInt|Bool|Id|OptId|OptTime|Raw|RequireObject|RequireArray|Invalid)\(\s*"([a-z_0-9]+)")re");
  std::set<std::string> missing;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
    if (entry.path().filename().string().ends_with("_test.cc")) continue;
    // Comment lines (usage examples such as `w.Key("id").String("42")`) are not requests.
    std::string text;
    std::istringstream lines(ReadFile(entry.path()));
    for (std::string line; std::getline(lines, line);) {
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line.compare(first, 2, "//") != 0) text += line + "\n";
    }
    for (auto it = std::sregex_iterator(text.begin(), text.end(), getter);
         it != std::sregex_iterator(); ++it) {
      std::string field = (*it)[1];
      if (!Label(field, Lang::kZh) || !Label(field, Lang::kEn)) missing.insert(field);
    }
  }
  std::string list;
  for (const std::string& f : missing) list += " " + f;
  EXPECT_TRUE(missing.empty()) << "fields without a label in base/messages.cc:" << list;
}

}  // namespace
}  // namespace xd

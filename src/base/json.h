// The one JSON codec of the project: parse with limits (depth, UTF-8 validated), and read
// request objects field by field with types, ranges and unknown-field rejection.
//
//   ASSIGN_OR_RETURN(Json body, ParseJson(text));
//   ObjectReader r(body);
//   std::string phone = r.String("phone", {.max_len = 20});
//   int64_t qty = r.Int("quantity", {.min = 1, .max = 999});
//   RETURN_IF_ERROR(r.Finish());   // first error, or UNKNOWN_FIELD
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace xd {

using Json = nlohmann::json;

inline constexpr int kJsonMaxDepth = 32;

// Parses `text`; INVALID_JSON on syntax errors, invalid UTF-8 or nesting past max_depth.
Result<Json> ParseJson(std::string_view text, int max_depth = kJsonMaxDepth);

// JSON text this program stored (a column written by DumpJson), as a tree; null when it is
// not JSON.
Json StoredJson(std::string_view text);

// StoredJson without the object members named in `skip`, at any depth (an outbox consumer that
// reads a few members of large snapshots). The members are cut from the text by a byte scan
// (no tree, no string built for them) and the rest is parsed; text the scan does not follow
// is parsed whole with the members dropped while parsing. A key written with escapes is
// compared as written (a name in `skip` has none).
Json StoredJsonWithout(std::string_view text, const std::vector<std::string>& skip);
// Its byte scan: appends `text` without those members to `out`; false when the scan does not
// follow the text (`out` then holds part of it).
bool CutJsonMembers(std::string_view text, const std::vector<std::string>& skip, std::string& out);

// Serialises compactly; invalid UTF-8 in strings is replaced, never thrown.
std::string DumpJson(const Json& j);

// Writes JSON text straight into a string, for the writer thread's hot documents (the order
// snapshot in every order event): no tree of map nodes to build and free. Strings are escaped
// as DumpJson escapes them (invalid UTF-8 replaced). The caller keeps keys and values paired
// and the nesting balanced; ParseJson of the result is what the equivalent Json would hold.
//
//   JsonWriter w(out);
//   w.BeginObject();
//   w.Key("id").String("42");
//   w.Key("lines").BeginArray();  ...  w.EndArray();
//   w.EndObject();
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // A value held as a Json tree (an address, pricing steps), serialised as DumpJson does.
  JsonWriter& Value(const Json& j);
  // A value that is already JSON text (a nested snapshot written by another JsonWriter).
  JsonWriter& Raw(std::string_view json_text);

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();  // the comma before a value in an array or a key in an object

  std::string& out_;
  // One entry per open object or array: whether it has a member yet.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

struct IntRule {
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
};
struct StringRule {
  size_t min_len = 0;
  size_t max_len = 1000;
};

// Reads the fields of one JSON object. Each getter records the first problem and returns a
// default; Finish() reports it (or the first field nobody asked for).
class ObjectReader {
 public:
  explicit ObjectReader(const Json& j, std::string prefix = "");

  std::string String(const char* key, StringRule rule = {});
  std::optional<std::string> OptString(const char* key, StringRule rule = {});
  int64_t Int(const char* key, IntRule rule = {});
  std::optional<int64_t> OptInt(const char* key, IntRule rule = {});
  bool Bool(const char* key, bool fallback);
  // An id: a decimal string (as the API sends ids) or a positive integer.
  int64_t Id(const char* key);
  std::optional<int64_t> OptId(const char* key);
  // An RFC 3339 time; returns epoch ms.
  std::optional<int64_t> OptTime(const char* key);
  // Raw access for nested structures; marks the key as read. nullptr when absent.
  const Json* Raw(const char* key);
  const Json* RequireObject(const char* key);
  const Json* RequireArray(const char* key, size_t max_items);
  // Records an error for a field (for checks the getters cannot express): catalogue key `m`
  // (base/messages.h) with the field as {field} and `params`.
  void Invalid(const char* key, Msg m, std::vector<MsgParam> params = {});

  Status Finish();

 private:
  const Json* Lookup(const char* key, bool required);
  void Record(xd::Error e);

  const Json& j_;
  std::string prefix_;
  std::vector<std::string> seen_;
  std::optional<xd::Error> error_;
};

}  // namespace xd

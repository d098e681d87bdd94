#include "base/json.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/clock.h"
#include "base/id.h"
#include "base/messages.h"

namespace xd {

Result<Json> ParseJson(std::string_view text, int max_depth) {
  bool too_deep = false;
  auto cb = [&](int depth, Json::parse_event_t, Json&) {
    if (depth > max_depth) too_deep = true;
    return !too_deep;
  };
  Json j = Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (too_deep) return Fail(Msg::JSON_TOO_DEEP);
  if (j.is_discarded()) return Fail(Msg::INVALID_JSON);
  return j;
}

Json StoredJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

namespace {

// Copies JSON text without the object members named in `skip` (StoredJsonWithout). Each
// function reads one value (or the whitespace before it) from t_[i_] and returns false on text
// it does not follow; a skipped value is stepped over by matching brackets outside strings.
class MemberCutter {
 public:
  MemberCutter(std::string_view t, const std::vector<std::string>& skip, std::string& out)
      : t_(t), skip_(skip), out_(out) {}

  bool Document() {
    if (!Value(0)) return false;
    Space();
    return i_ == t_.size();
  }

 private:
  static constexpr int kMaxDepth = 256;

  void Space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  // The index just past the string that starts at t_[at] (a quote); npos when it never ends. A
  // quote ends it unless an odd run of backslashes precedes it.
  size_t StringEnd(size_t at) const {
    for (size_t j = at + 1; j < t_.size();) {
      const void* q = std::memchr(t_.data() + j, '"', t_.size() - j);
      if (!q) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(q) - t_.data());
      size_t slashes = 0;
      while (end - slashes > at + 1 && t_[end - slashes - 1] == '\\') ++slashes;
      if (slashes % 2 == 0) return end + 1;
      j = end + 1;
    }
    return std::string_view::npos;
  }
  // A number, true, false or null: up to the next delimiter.
  size_t ScalarEnd(size_t at) const {
    size_t j = at;
    for (; j < t_.size(); ++j) {
      const char c = t_[j];
      if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t') break;
    }
    return j;
  }
  bool Value(int depth) {
    Space();
    if (i_ >= t_.size() || depth > kMaxDepth) return false;
    const char c = t_[i_];
    if (c == '{' || c == '[') return Container(depth);
    const size_t end = c == '"' ? StringEnd(i_) : ScalarEnd(i_);
    if (end == std::string_view::npos || end == i_) return false;
    out_.append(t_.substr(i_, end - i_));
    i_ = end;
    return true;
  }
  bool Container(int depth) {
    const bool object = t_[i_] == '{';
    const char close = object ? '}' : ']';
    out_ += t_[i_++];
    Space();
    if (i_ < t_.size() && t_[i_] == close) {
      out_ += t_[i_++];
      return true;
    }
    bool first = true;
    for (;;) {
      Space();
      if (object) {
        if (i_ >= t_.size() || t_[i_] != '"') return false;
        const size_t key_end = StringEnd(i_);
        if (key_end == std::string_view::npos) return false;
        const std::string_view key = t_.substr(i_ + 1, key_end - i_ - 2);
        i_ = key_end;
        Space();
        if (i_ >= t_.size() || t_[i_] != ':') return false;
        ++i_;
        if (std::find(skip_.begin(), skip_.end(), key) != skip_.end()) {
          if (!Skip()) return false;
        } else {
          if (!first) out_ += ',';
          first = false;
          out_ += '"';
          out_.append(key);
          out_ += "\":";
          if (!Value(depth + 1)) return false;
        }
      } else {
        if (!first) out_ += ',';
        first = false;
        if (!Value(depth + 1)) return false;
      }
      Space();
      if (i_ >= t_.size()) return false;
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (t_[i_] != close) return false;
      out_ += t_[i_++];
      return true;
    }
  }
  // Steps over one value without copying it: brackets counted outside strings.
  bool Skip() {
    Space();
    if (i_ >= t_.size()) return false;
    if (t_[i_] != '{' && t_[i_] != '[') {
      const size_t end = t_[i_] == '"' ? StringEnd(i_) : ScalarEnd(i_);
      if (end == std::string_view::npos || end == i_) return false;
      i_ = end;
      return true;
    }
    int open = 0;
    for (size_t j = i_; j < t_.size();) {
      const char c = t_[j];
      if (c == '"') {
        j = StringEnd(j);
        if (j == std::string_view::npos) return false;
        continue;
      }
      ++j;
      if (c == '{' || c == '[') {
        ++open;
      } else if ((c == '}' || c == ']') && --open == 0) {
        i_ = j;
        return true;
      }
    }
    return false;
  }

  std::string_view t_;
  const std::vector<std::string>& skip_;
  std::string& out_;
  size_t i_ = 0;
};

}  // namespace

bool CutJsonMembers(std::string_view text, const std::vector<std::string>& skip, std::string& out) {
  return MemberCutter(text, skip, out).Document();
}

Json StoredJsonWithout(std::string_view text, const std::vector<std::string>& skip) {
  std::string cut;
  cut.reserve(text.size());
  if (CutJsonMembers(text, skip, cut)) {
    Json j = Json::parse(cut, nullptr, false);
    if (!j.is_discarded()) return j;
  }
  Json::parser_callback_t keep = [&skip](int, Json::parse_event_t event, Json& parsed) {
    return event != Json::parse_event_t::key ||
           std::find(skip.begin(), skip.end(), parsed.get_ref<const std::string&>()) == skip.end();
  };
  Json j = Json::parse(text, keep, false);
  return j.is_discarded() ? Json() : j;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > n) return false;
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && b1 < 0xA0) || (c == 0xED && b1 > 0x9F) || (c == 0xF0 && b1 < 0x90) || (c == 0xF4 && b1 > 0x8F)) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

JsonWriter& JsonWriter::Open(char c) {
  Separate();
  out_ += c;
  has_member_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  out_ += c;
  has_member_.pop_back();
  return *this;
}

void JsonWriter::Separate() {
  if (after_key_) {  // the value of a key: the key wrote the comma
    after_key_ = false;
    return;
  }
  if (has_member_.empty()) return;
  if (has_member_.back()) out_ += ',';
  has_member_.back() = true;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  String(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  if (!IsUtf8(s)) {  // rare: let the codec replace what is broken, as DumpJson does
    out_ += DumpJson(Json(std::string(s)));
    return *this;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xF];
    }
  }
  out_.append(s.data() + plain, s.size() - plain);
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Value(const Json& j) {
  Separate();
  out_ += DumpJson(j);
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json_text) {
  Separate();
  out_ += json_text;
  return *this;
}

ObjectReader::ObjectReader(const Json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {
  if (!j_.is_object()) {
    if (prefix_.empty()) Record(MakeError(Msg::JSON_NOT_OBJECT));
    else Record(MakeError(Msg::FIELD_NOT_OBJECT, {Field(prefix_.substr(0, prefix_.size() - (prefix_.back() == '.')))}));
  }
}

void ObjectReader::Record(xd::Error e) {
  if (!error_) error_ = std::move(e);
}

void ObjectReader::Invalid(const char* key, Msg m, std::vector<MsgParam> params) {
  params.insert(params.begin(), Field(prefix_ + key));
  Record(MakeError(m, std::move(params)));
}

const Json* ObjectReader::Lookup(const char* key, bool required) {
  if (!j_.is_object()) return nullptr;
  seen_.emplace_back(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) Record(MakeError(Msg::FIELD_REQUIRED, {Field(prefix_ + key)}));
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::OptString(const char* key, StringRule rule) {
  const Json* v = Lookup(key, false);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    Invalid(key, Msg::FIELD_NOT_TEXT);
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  // Length in code points, so Chinese text gets the same limit as ASCII.
  size_t cps = std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
  if (cps < rule.min_len || cps > rule.max_len) {
    Invalid(key, Msg::FIELD_LENGTH, {{"min", rule.min_len}, {"max", rule.max_len}});
    return std::nullopt;
  }
  return s;
}

std::string ObjectReader::String(const char* key, StringRule rule) {
  if (!Lookup(key, true)) return {};
  seen_.pop_back();
  return OptString(key, rule).value_or("");
}

std::optional<int64_t> ObjectReader::OptInt(const char* key, IntRule rule) {
  const Json* v = Lookup(key, false);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    Invalid(key, Msg::FIELD_NOT_INTEGER);
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    Invalid(key, Msg::FIELD_TOO_LARGE, {{"max", INT64_MAX}});
    return std::nullopt;
  }
  int64_t n = v->get<int64_t>();
  if (n < rule.min || n > rule.max) {
    if (rule.min == INT64_MIN) Invalid(key, Msg::FIELD_TOO_LARGE, {{"max", rule.max}});
    else if (rule.max == INT64_MAX) Invalid(key, Msg::FIELD_TOO_SMALL, {{"min", rule.min}});
    else Invalid(key, Msg::FIELD_RANGE, {{"min", rule.min}, {"max", rule.max}});
    return std::nullopt;
  }
  return n;
}

int64_t ObjectReader::Int(const char* key, IntRule rule) {
  if (!Lookup(key, true)) return 0;
  seen_.pop_back();
  return OptInt(key, rule).value_or(0);
}

bool ObjectReader::Bool(const char* key, bool fallback) {
  const Json* v = Lookup(key, false);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    Invalid(key, Msg::FIELD_NOT_BOOL);
    return fallback;
  }
  return v->get<bool>();
}

std::optional<int64_t> ObjectReader::OptId(const char* key) {
  const Json* v = Lookup(key, false);
  if (!v) return std::nullopt;
  std::optional<int64_t> id;
  if (v->is_string()) id = ParseId(v->get_ref<const std::string&>());
  else if (v->is_number_integer() && v->get<int64_t>() > 0) id = v->get<int64_t>();
  if (!id) Invalid(key, Msg::FIELD_NOT_ID);
  return id;
}

int64_t ObjectReader::Id(const char* key) {
  if (!Lookup(key, true)) return 0;
  seen_.pop_back();
  return OptId(key).value_or(0);
}

std::optional<int64_t> ObjectReader::OptTime(const char* key) {
  auto s = OptString(key, {.max_len = 40});
  if (!s) return std::nullopt;
  int64_t ms = ParseRfc3339(*s);
  if (ms < 0) {
    Invalid(key, Msg::FIELD_NOT_TIME);
    return std::nullopt;
  }
  return ms;
}

const Json* ObjectReader::Raw(const char* key) { return Lookup(key, false); }

const Json* ObjectReader::RequireObject(const char* key) {
  const Json* v = Lookup(key, true);
  if (v && !v->is_object()) {
    Invalid(key, Msg::FIELD_NOT_OBJECT);
    return nullptr;
  }
  return v;
}

const Json* ObjectReader::RequireArray(const char* key, size_t max_items) {
  const Json* v = Lookup(key, true);
  if (!v) return nullptr;
  if (!v->is_array()) {
    Invalid(key, Msg::FIELD_NOT_ARRAY);
    return nullptr;
  }
  if (v->size() > max_items) {
    Invalid(key, Msg::FIELD_TOO_MANY, {{"max", max_items}});
    return nullptr;
  }
  return v;
}

Status ObjectReader::Finish() {
  if (error_) return std::unexpected(*error_);
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (std::find(seen_.begin(), seen_.end(), it.key()) == seen_.end())
      return Fail(Msg::FIELD_UNKNOWN, {{"field", prefix_ + it.key()}});
  }
  return Ok();
}

}  // namespace xd

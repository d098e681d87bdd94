// Pushes to members (issue 16: value, not harassment): a merchant composes a message (text, an
// optional product or coupon) to an audience of its members; delivery puts it in each member's
// shop inbox (消息) unless the member opted out of the merchant's pushes or already received
// the programme's cap in the last 7 days (counted as capped, not an error). Delivery runs in
// batches of kPushBatch cards in card order — the first in the command that creates the push,
// the rest on the `member.push` timer — each card locked while its window is counted, so two
// pushes of one merchant never both take a member's last slot.
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "member/internal/member_internal.h"

namespace xd::member {

namespace {

constexpr int64_t kPushBatch = 500;

Json AudienceJson(const PushAudience& a) {
  switch (a.kind) {
    case PushAudience::Kind::kAll:
      return Json{{"all", true}};
    case PushAudience::Kind::kLevel:
      return Json{{"level", a.level}};
    case PushAudience::Kind::kTags:
      return Json{{"tags", a.tags}};
  }
  return Json{{"all", true}};
}

PushAudience AudienceFromStored(const std::string& text) {
  PushAudience a;
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return a;
  if (j->contains("level") && (*j)["level"].is_number_integer()) {
    a.kind = PushAudience::Kind::kLevel;
    a.level = (*j)["level"].get<int64_t>();
  } else if (j->contains("tags") && (*j)["tags"].is_array()) {
    a.kind = PushAudience::Kind::kTags;
    for (auto& t : (*j)["tags"])
      if (t.is_string()) a.tags.push_back(t.get<std::string>());
  }
  return a;
}

constexpr const char* kPushCols =
    "id, merchant_id, audience, text, product_id, coupon_id, status, cursor_card_id, targeted, "
    "delivered, capped, opted_out, created_by, created_at_ms";

Push PushFromRow(const Row& r) {
  Push p;
  p.id = r.Int(0);
  p.merchant_id = r.Int(1);
  p.input.audience = AudienceFromStored(r.Str(2));
  p.input.text = r.Str(3);
  p.input.product_id = r.OptInt(4);
  p.input.coupon_id = r.OptInt(5);
  p.sent = r.Str(6) == "sent";
  p.cursor_card_id = r.Int(7);
  p.targeted = r.Int(8);
  p.delivered = r.Int(9);
  p.capped = r.Int(10);
  p.opted_out = r.Int(11);
  p.created_by = r.Int(12);
  p.created_at_ms = r.Int(13);
  return p;
}

Result<Push> LoadPush(Reader& r, int64_t merchant_id, int64_t push_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPushCols +
                                            " FROM member_pushes WHERE id=? AND merchant_id=?",
                                        {push_id, merchant_id}));
  if (!row) return Fail(Msg::MEMBER_PUSH_NOT_FOUND);
  return PushFromRow(*row);
}

// Delivers the push to the next batch of its audience; true when it has reached them all.
Result<bool> DeliverBatch(Tx& tx, int64_t push_id) {
  ASSIGN_OR_RETURN(
      auto row, tx.QueryOne(std::string("SELECT ") + kPushCols + " FROM member_pushes WHERE id=?" +
                                std::string(tx.dialect().ForUpdate()),
                            {push_id}));
  if (!row) return true;
  Push push = PushFromRow(*row);
  if (push.sent) return true;
  ASSIGN_OR_RETURN(Programme p, [&]() -> Result<Programme> {
    ASSIGN_OR_RETURN(auto prow, tx.QueryOne(std::string("SELECT ") + internal::kProgrammeCols +
                                                " FROM member_programmes WHERE merchant_id=?",
                                            {push.merchant_id}));
    if (!prow) return Fail(Msg::MEMBER_PROGRAMME_NOT_FOUND);
    return internal::ProgrammeFromRow(*prow);
  }());
  const int64_t top = static_cast<int64_t>(p.config.levels.size()) - 1;
  const PushAudience& a = push.input.audience;
  // A level's members: the level they show (indexes past the levels show the top one). A tag
  // audience: the cards resolved when the push was composed (member_push_targets).
  int64_t level = a.kind == PushAudience::Kind::kLevel ? a.level : -1;
  Rows cards;
  if (a.kind == PushAudience::Kind::kTags) {
    ASSIGN_OR_RETURN(cards, tx.Query("SELECT c.id FROM member_push_targets t JOIN member_cards c "
                                     "ON c.id = t.card_id WHERE t.push_id=?1 AND c.merchant_id=?2 "
                                     "AND c.id>?3 ORDER BY c.id LIMIT ?4",
                                     {push.id, push.merchant_id, push.cursor_card_id, kPushBatch}));
  } else {
    ASSIGN_OR_RETURN(cards,
                     tx.Query("SELECT id FROM member_cards WHERE merchant_id=?1 AND id>?2 AND "
                              "(?3<0 OR (CASE WHEN level>?4 THEN ?4 ELSE level END)=?3) ORDER BY "
                              "id LIMIT ?5",
                              {push.merchant_id, push.cursor_card_id, level, top, kPushBatch}));
  }
  const int64_t now = tx.NowMs();
  const int64_t cap = std::min<int64_t>(p.config.push_cap_per_week, limits::kMaxPushCapPerWeek);
  for (auto& c : cards) {
    ASSIGN_OR_RETURN(Card card, internal::LockCard(tx, c.Int(0)));
    ++push.targeted;
    push.cursor_card_id = card.id;
    if (card.pushes_opted_out_at_ms) {
      ++push.opted_out;
      continue;
    }
    ASSIGN_OR_RETURN(int64_t recent,
                     tx.QueryInt("SELECT count(*) FROM member_inbox WHERE card_id=? AND "
                                 "delivered_at_ms > ?",
                                 {card.id, now - internal::kWeekMs}));
    if (recent >= cap) {
      ++push.capped;
      continue;
    }
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO member_inbox(id, merchant_id, push_id, card_id, user_id, "
               "cap, delivered_at_ms) VALUES(?,?,?,?,?,?,?)",
               {tx.NewId(), push.merchant_id, push.id, card.id, card.user_id, cap, now}));
    ++push.delivered;
  }
  bool done = static_cast<int64_t>(cards.size()) < kPushBatch;
  RETURN_IF_ERROR(
      tx.Run("UPDATE member_pushes SET status=?, cursor_card_id=?, targeted=?, "
             "delivered=?, capped=?, opted_out=? WHERE id=?",
             {done ? "sent" : "sending", push.cursor_card_id, push.targeted, push.delivered,
              push.capped, push.opted_out, push.id}));
  return done;
}

}  // namespace

Result<PushInput> PushInputFromJson(const Json& body) {
  ObjectReader r(body);
  PushInput in;
  in.text = r.String("text", {.min_len = 1, .max_len = limits::kMaxPushTextLen});
  in.product_id = r.OptId("product_id");
  in.coupon_id = r.OptId("coupon_id");
  const Json* audience = r.Raw("audience");
  RETURN_IF_ERROR(r.Finish());
  if (!audience) return in;  // all members
  if (!audience->is_object() || audience->size() != 1)
    return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
  if (audience->contains("all")) {
    if ((*audience)["all"] != true) return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
  } else if (audience->contains("level")) {
    const Json& l = (*audience)["level"];
    if (!l.is_number_integer() || l.get<int64_t>() < 0 ||
        l.get<int64_t>() >= static_cast<int64_t>(limits::kMaxMemberLevels))
      return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
    in.audience.kind = PushAudience::Kind::kLevel;
    in.audience.level = l.get<int64_t>();
  } else if (audience->contains("tags")) {
    const Json& t = (*audience)["tags"];
    if (!t.is_array() || t.empty() || t.size() > 20)
      return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
    in.audience.kind = PushAudience::Kind::kTags;
    for (auto& tag : t) {
      if (!tag.is_string() || tag.get<std::string>().empty() || tag.get<std::string>().size() > 40)
        return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
      in.audience.tags.push_back(tag.get<std::string>());
    }
  } else {
    return Fail(Msg::MEMBER_PUSH_AUDIENCE, {Field("audience")});
  }
  return in;
}

Json ToJson(const Push& p) {
  return Json{
      {"id", IdString(p.id)},
      {"merchant_id", IdString(p.merchant_id)},
      {"audience", AudienceJson(p.input.audience)},
      {"text", p.input.text},
      {"product_id", p.input.product_id ? Json(IdString(*p.input.product_id)) : Json(nullptr)},
      {"coupon_id", p.input.coupon_id ? Json(IdString(*p.input.coupon_id)) : Json(nullptr)},
      {"status", p.sent ? "sent" : "sending"},
      {"stats",
       {{"targeted", p.targeted},
        {"delivered", p.delivered},
        {"capped", p.capped},
        {"opted_out", p.opted_out},
        {"opened", p.opened},
        {"ordered_7d", p.ordered_7d}}},
      {"created_at", FormatRfc3339(p.created_at_ms)}};
}

void MemberService::RegisterPushTimer(TimerService& timers) {
  timers.Register(internal::kTimerPush, [](Tx& tx, const Json& payload) -> Status {
    int64_t push_id = payload.value("push_id", int64_t{0});
    ASSIGN_OR_RETURN(bool done, DeliverBatch(tx, push_id));
    if (done) return Ok();
    return ToStatus(tx.AddTimer(internal::kTimerPush, tx.NowMs(), Json{{"push_id", push_id}}));
  });
}

Result<Push> MemberService::CreatePush(Tx& tx, int64_t merchant_id, int64_t actor_id,
                                       const PushInput& in) {
  ASSIGN_OR_RETURN(Programme p, GetProgramme(tx, merchant_id));
  if (in.audience.kind == PushAudience::Kind::kLevel &&
      in.audience.level >= static_cast<int64_t>(p.config.levels.size()))
    return Fail(Msg::MEMBER_PUSH_LEVEL_UNKNOWN, {{"level", in.audience.level}});
  if (in.product_id) {
    ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT count(*) FROM products WHERE id=? AND "
                                            "merchant_id=?",
                                            {*in.product_id, merchant_id}));
    if (n == 0) return Fail(Msg::MEMBER_PUSH_PRODUCT_NOT_FOUND);
  }
  if (in.coupon_id) {
    ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT count(*) FROM coupons WHERE id=? AND "
                                            "merchant_id=?",
                                            {*in.coupon_id, merchant_id}));
    if (n == 0) return Fail(Msg::MEMBER_PUSH_COUPON_NOT_FOUND);
  }
  Push push;
  push.id = tx.NewId();
  push.merchant_id = merchant_id;
  push.input = in;
  push.created_by = actor_id;
  push.created_at_ms = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_pushes(id, merchant_id, audience, text, product_id, "
             "coupon_id, status, created_by, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?)",
             {push.id, merchant_id, DumpJson(AudienceJson(in.audience)), in.text, in.product_id,
              in.coupon_id, "sending", actor_id, push.created_at_ms}));
  // A tag audience: the merchant's own cards among the users the data platform matched (anyone
  // else named is ignored), fixed now so that delivery in batches walks one list.
  if (in.audience.kind == PushAudience::Kind::kTags) {
    if (in.audience.tag_user_ids.size() > static_cast<size_t>(limits::kMaxPushTagMembers))
      return Fail(Msg::MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, {{"max", limits::kMaxPushTagMembers}});
    for (int64_t user_id : in.audience.tag_user_ids)
      RETURN_IF_ERROR(
          tx.Run("INSERT INTO member_push_targets(push_id, card_id, merchant_id) SELECT ?, id, merchant_id FROM "
                 "member_cards WHERE merchant_id=? AND user_id=? ON CONFLICT DO NOTHING",
                 {push.id, merchant_id, user_id}));
  }
  ASSIGN_OR_RETURN(bool done, DeliverBatch(tx, push.id));
  if (!done)
    RETURN_IF_ERROR(
        ToStatus(tx.AddTimer(internal::kTimerPush, tx.NowMs(), Json{{"push_id", push.id}})));
  return GetPush(tx, merchant_id, push.id);
}

Result<std::vector<int64_t>> MemberService::MemberUserIds(Reader& r, int64_t merchant_id,
                                                          int64_t limit) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT user_id FROM member_cards WHERE merchant_id=? ORDER "
                                      "BY id LIMIT ?",
                                      {merchant_id, limit}));
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  for (const Row& row : rows) ids.push_back(row.Int(0));
  return ids;
}

Result<Push> MemberService::GetPush(Reader& r, int64_t merchant_id, int64_t push_id) {
  ASSIGN_OR_RETURN(Push push, LoadPush(r, merchant_id, push_id));
  ASSIGN_OR_RETURN(push.opened, r.QueryInt("SELECT count(*) FROM member_inbox WHERE push_id=? AND "
                                           "opened_at_ms IS NOT NULL",
                                           {push_id}));
  // Members who paid an order at the merchant within 7 days of the delivery.
  ASSIGN_OR_RETURN(push.ordered_7d,
                   r.QueryInt("SELECT count(*) FROM member_inbox i WHERE i.push_id=? AND EXISTS "
                              "(SELECT 1 FROM orders o WHERE o.buyer_id = i.user_id AND "
                              "o.merchant_id = i.merchant_id AND o.paid_at_ms >= i.delivered_at_ms "
                              "AND o.paid_at_ms < i.delivered_at_ms + ?)",
                              {push_id, internal::kWeekMs}));
  return push;
}

Result<std::vector<Push>> MemberService::Pushes(Reader& r, int64_t merchant_id, int64_t limit,
                                                int64_t before_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT id FROM member_pushes WHERE "
                                                  "merchant_id=?1 AND (?2=0 OR id<?2) ORDER BY id "
                                                  "DESC LIMIT ?3"),
                                      {merchant_id, before_id, limit}));
  std::vector<Push> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Push p, GetPush(r, merchant_id, row.Int(0)));
    out.push_back(std::move(p));
  }
  return out;
}

Result<Json> MemberService::Inbox(Reader& r, int64_t user_id, int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT i.id, i.merchant_id, m.name, p.text, p.product_id, p.coupon_id, "
              "i.delivered_at_ms, i.opened_at_ms, i.card_id FROM member_inbox i JOIN member_pushes "
              "p ON p.id = i.push_id JOIN merchants m ON m.id = i.merchant_id WHERE i.user_id=?1 "
              "AND (?2=0 OR i.id<?2) ORDER BY i.id DESC LIMIT ?3",
              {user_id, before_id, limit}));
  Json items = Json::array();
  int64_t last = 0;
  for (auto& row : rows) {
    items.push_back(Json{{"id", IdString(row.Int(0))},
                         {"merchant", {{"id", IdString(row.Int(1))}, {"name", row.Str(2)}}},
                         {"text", row.Str(3)},
                         {"product_id", row.IsNull(4) ? Json(nullptr) : Json(IdString(row.Int(4)))},
                         {"coupon_id", row.IsNull(5) ? Json(nullptr) : Json(IdString(row.Int(5)))},
                         {"card_id", IdString(row.Int(8))},
                         {"delivered_at", FormatRfc3339(row.Int(6))},
                         {"opened", !row.IsNull(7)}});
    last = row.Int(0);
  }
  ASSIGN_OR_RETURN(int64_t unread, r.QueryInt("SELECT count(*) FROM member_inbox WHERE user_id=? "
                                              "AND opened_at_ms IS NULL",
                                              {user_id}));
  bool full = static_cast<int64_t>(rows.size()) == limit;
  return Json{{"items", std::move(items)},
              {"unread", unread},
              {"next_cursor", full ? Json(IdString(last)) : Json(nullptr)}};
}

Status MemberService::OpenMessage(Tx& tx, int64_t user_id, int64_t message_id) {
  ASSIGN_OR_RETURN(int64_t mine, tx.QueryInt("SELECT count(*) FROM member_inbox WHERE id=? AND "
                                             "user_id=?",
                                             {message_id, user_id}));
  if (mine == 0) return Fail(Msg::MEMBER_INBOX_NOT_FOUND);
  return tx.Run("UPDATE member_inbox SET opened_at_ms=? WHERE id=? AND opened_at_ms IS NULL",
                {tx.NowMs(), message_id});
}

Status MemberService::SetPushOptOut(Tx& tx, int64_t user_id, int64_t card_id, bool opt_out) {
  ASSIGN_OR_RETURN(int64_t mine, tx.QueryInt("SELECT count(*) FROM member_cards WHERE id=? AND "
                                             "user_id=?",
                                             {card_id, user_id}));
  if (mine == 0) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  if (opt_out)
    return tx.Run(
        "UPDATE member_cards SET pushes_opted_out_at_ms=? WHERE id=? AND "
        "pushes_opted_out_at_ms IS NULL",
        {tx.NowMs(), card_id});
  return tx.Run("UPDATE member_cards SET pushes_opted_out_at_ms=NULL WHERE id=?", {card_id});
}

}  // namespace xd::member

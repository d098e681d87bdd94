// Routes of friends: requests, answers, the friend list (docs/api.md). Friends see each
// other's recommendations (routes_sharing.cc).
#include "account/account.h"
#include "base/id.h"
#include "http/api.h"

namespace xd::http {

using account::Principal;

namespace {

Status ListFriends(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return account::ListFriends(r, p.user_id); }));
  Json items = Json::array();
  for (auto& u : list) items.push_back(Json{{"id", IdString(u.id)}, {"nickname", u.nickname}});
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status RequestFriend(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      p,
      [phone](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(int64_t id, account::RequestFriend(tx, p.user_id, phone));
        return Json{{"id", IdString(id)}};
      },
      201);
  return Ok();
}

Status ListFriendRequests(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return account::IncomingRequests(r, p.user_id); }));
  Json items = Json::array();
  for (auto& fr : list)
    items.push_back(Json{{"id", IdString(fr.id)},
                         {"from", {{"id", IdString(fr.from.id)}, {"nickname", fr.from.nickname}}},
                         {"created_at", FormatRfc3339(fr.created_at_ms)}});
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status AcceptFriend(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [id](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(account::AcceptFriend(tx, p.user_id, id));
    return Json{{"id", IdString(id)}, {"status", "accepted"}};
  });
  return Ok();
}

Status RemoveFriend(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t fid, c.PathId("user_id"));
  c.Write(
      p,
      [fid](Tx& tx, const Principal& p) -> Result<Json> {
        RETURN_IF_ERROR(account::RemoveFriend(tx, p.user_id, fid));
        return Json();
      },
      204);
  return Ok();
}

}  // namespace

void AddFriendRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- friends ----
      {{"GET", "/api/v1/friends", "The signed-in user's friends", "social", AuthKind::kUser},
       ListFriends},
      {{"POST", "/api/v1/friends/requests", "Ask someone (by phone) to be friends", "social",
        AuthKind::kUser, 201, Json{{"phone", "13700000002"}}}, RequestFriend},
      {{"GET", "/api/v1/friends/requests", "Incoming friend requests", "social", AuthKind::kUser},
       ListFriendRequests},
      {{"POST", "/api/v1/friends/requests/{id}/accept", "Accept a friend request", "social",
        AuthKind::kUser}, AcceptFriend},
      {{"DELETE", "/api/v1/friends/{user_id}", "Remove a friend", "social", AuthKind::kUser, 204},
       RemoveFriend},
  });
  // clang-format on
}

}  // namespace xd::http

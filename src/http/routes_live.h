// The routes of live commerce (routes_live.cc): the handlers take the node's LiveService and its
// stream hub (live_hub.h) from AppContext (`live`, `live_hub`: one owner, App, no global).
#pragma once

#include "http/api.h"
#include "live/live.h"

namespace xd::http {

class LiveHub;

// Registers the live routes; api.app().live and live_hub must be set (they outlive the server).
void AddLiveRoutes(Api& api);

}  // namespace xd::http

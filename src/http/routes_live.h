// The routes of live commerce (routes_live.cc): registered by App with the node's LiveService and
// its stream hub (live_hub.h), which the handlers use (AppContext does not carry them).
#pragma once

#include "http/api.h"
#include "live/live.h"

namespace xd::http {

class LiveHub;

// Registers the live routes served with `live` and `hub` (both outlive the server).
void AddLiveRoutes(Api& api, live::LiveService& live, LiveHub& hub);

}  // namespace xd::http

// The routes of community group buying (routes_community.cc): registered by App with the node's
// CommunityService, which the handlers use (AppContext does not carry it).
#pragma once

#include "community/community.h"
#include "http/api.h"

namespace xd::http {

// Registers the community routes served with `community` (which outlives the server).
void AddCommunityRoutes(Api& api, community::CommunityService& community);

}  // namespace xd::http

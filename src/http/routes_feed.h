// The routes of the traffic layer (routes_feed.cc): storefronts, followers, the home feed, hot
// shops and the exposure guarantee's admin pages (issue 20, decision 028).
#pragma once

#include "http/api.h"

namespace xd::http {

// Registers the feed routes.
void AddFeedRoutes(Api& api);

}  // namespace xd::http

// What the live module's files share and nobody outside may include: the room loader, the
// locked read a merchant command starts with, and the trade plug-ins.
#pragma once

#include <memory>
#include <optional>

#include "live/live.h"

namespace xd::live::internal {

// The room with its products (nullopt when there is none).
Result<std::optional<Room>> LoadRoom(Reader& r, int64_t room_id);

// Stage 100 for checkouts with "live":{"room_id"}.
std::shared_ptr<trade::PricingRule> NewLivePricingRule(LiveService& live);
// Cancelled → units back to the live room (or counted returned once it ended).
std::shared_ptr<trade::OrderObserver> NewLiveObserver(LiveService& live);

}  // namespace xd::live::internal

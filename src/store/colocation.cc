#include "store/colocation.h"

#include <array>

namespace xd {

namespace {

// Named rows per table: enough to find the bug, not a flood from one broken writer.
constexpr int64_t kNamedPerTable = 5;

constexpr std::array kChildren{
    // merchant group: the shop's catalogue
    ColocatedChild{"skus", "merchant_id", "product_id", "products", "merchant_id"},
    ColocatedChild{"product_distribution", "merchant_id", "product_id", "products", "merchant_id"},
    ColocatedChild{"activities", "merchant_id", "product_id", "products", "merchant_id"},
    // an order and what hangs off it
    ColocatedChild{"order_items", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"payments", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"refunds", "merchant_id", "payment_id", "payments", "merchant_id"},
    ColocatedChild{"aftersales", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"aftersale_items", "merchant_id", "aftersale_id", "aftersales", "merchant_id"},
    ColocatedChild{"shipments", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"tracking_events", "merchant_id", "shipment_id", "shipments", "merchant_id"},
    ColocatedChild{"settlements", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"order_commissions", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"gifts", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"gift_parts", "merchant_id", "gift_id", "gifts", "merchant_id"},
    ColocatedChild{"chat_group_orders", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"reviews", "merchant_id", "order_id", "orders", "merchant_id"},
    // a customer-service message with its thread
    ColocatedChild{"cs_messages", "merchant_id", "thread_id", "cs_threads", "merchant_id"},
    // activities: groups, seats, bargains (an activity order also agrees with its order)
    ColocatedChild{"promo_groups", "merchant_id", "activity_id", "activities", "merchant_id"},
    ColocatedChild{"activity_orders", "merchant_id", "activity_id", "activities", "merchant_id"},
    ColocatedChild{"activity_orders", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"bargains", "merchant_id", "activity_id", "activities", "merchant_id"},
    ColocatedChild{"bargain_helps", "merchant_id", "bargain_id", "bargains", "merchant_id"},
    // membership cards: a card with its programme (and the store it was claimed in), an entry
    // of the points journal with its card
    ColocatedChild{"member_cards", "merchant_id", "programme_id", "member_programmes", "merchant_id"},
    ColocatedChild{"member_cards", "merchant_id", "store_id", "member_stores", "merchant_id"},
    ColocatedChild{"member_points_journal", "merchant_id", "card_id", "member_cards", "merchant_id"},
    // community group buying: a campaign's items, an order's community row and lines, a batch
    // with its campaign, a pickup and a withdrawal with their order and leader
    ColocatedChild{"community_campaign_items", "merchant_id", "campaign_id", "community_campaigns", "merchant_id"},
    ColocatedChild{"community_orders", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"community_orders", "merchant_id", "campaign_id", "community_campaigns", "merchant_id"},
    ColocatedChild{"community_order_items", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"community_batches", "merchant_id", "campaign_id", "community_campaigns", "merchant_id"},
    ColocatedChild{"community_pickups", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"community_withdrawals", "merchant_id", "leader_id", "community_leaders", "merchant_id"},
    // … a POS purchase, an inbox message and a referral with their card, a message and a tag
    // push's audience with its push
    ColocatedChild{"member_pos_purchases", "merchant_id", "card_id", "member_cards", "merchant_id"},
    ColocatedChild{"member_inbox", "merchant_id", "card_id", "member_cards", "merchant_id"},
    ColocatedChild{"member_inbox", "merchant_id", "push_id", "member_pushes", "merchant_id"},
    ColocatedChild{"member_push_targets", "merchant_id", "push_id", "member_pushes", "merchant_id"},
    ColocatedChild{"member_referrals", "merchant_id", "card_id", "member_cards", "merchant_id"},
    // live commerce: a room's products, reminders, comments, mutes, viewers and nodes' viewer
    // counts with their room; a room's order with its order and its room
    ColocatedChild{"live_room_products", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_room_viewers", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_room_node_viewers", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_reminders", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_comments", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_mutes", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    ColocatedChild{"live_orders", "merchant_id", "order_id", "orders", "merchant_id"},
    ColocatedChild{"live_orders", "merchant_id", "room_id", "live_rooms", "merchant_id"},
    // open platform
    ColocatedChild{"webhook_deliveries", "merchant_id", "endpoint_id", "webhook_endpoints",
                   "merchant_id"},
    // buyer group: a share's opens live with the share
    ColocatedChild{"share_opens", "sharer_id", "share_id", "shares", "sharer_id"},
    // Not listed: tables whose distribution column is their own key's user, with no parent in
    // another group to agree with — share_touches and share_shop_touches (migration 026) are
    // the buyer's (buyer_id), and name a share of the sharer's group and a shop's product or
    // shop only as references (docs/scale-out.md, the table per table).
};

}  // namespace

std::span<const ColocatedChild> ColocatedChildren() { return kChildren; }

Result<std::vector<std::string>> CheckColocation(Reader& r) {
  std::vector<std::string> problems;
  for (const ColocatedChild& c : kChildren) {
    const std::string child = std::string(c.table) + "." + c.column;
    const std::string parent = std::string(c.parent) + "." + c.parent_column;
    ASSIGN_OR_RETURN(
        Rows rows,
        r.Query(std::string("SELECT c.") + c.key + ", c." + c.column + ", p." + c.parent_column +
                    " FROM " + c.table + " c JOIN " + c.parent + " p ON p.id = c." + c.key +
                    " WHERE c." + c.column + " <> p." + c.parent_column + " LIMIT ?",
                {kNamedPerTable + 1}));
    for (size_t i = 0; i < rows.size(); ++i) {
      if (static_cast<int64_t>(i) == kNamedPerTable) {
        problems.push_back("more rows of " + std::string(c.table) + " differ from their " +
                           c.parent + " in " + c.column);
        break;
      }
      problems.push_back(child + " " + std::to_string(rows[i].Int(1)) + " differs from " + parent +
                         " " + std::to_string(rows[i].Int(2)) + " (" + c.table + "." + c.key + " " +
                         std::to_string(rows[i].Int(0)) +
                         "): the row is not on its parent's shard");
    }
  }
  return problems;
}

}  // namespace xd

// The statuses of promo's objects: one table per enum gives each status its stored name and
// the transitions it may take. Every status change in promo goes through internal::Move,
// which refuses a transition the table does not list.
#include <array>
#include <utility>

#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

template <class E, size_t N, size_t M>
struct StatusTable {
  std::array<std::pair<E, std::string_view>, N> names;
  std::array<std::pair<E, E>, M> moves;

  std::string_view Name(E s) const {
    for (auto& [e, name] : names)
      if (e == s) return name;
    return "?";
  }
  std::optional<E> Parse(std::string_view name) const {
    for (auto& [e, n] : names)
      if (n == name) return e;
    return std::nullopt;
  }
  bool CanMove(E from, E to) const {
    for (auto& [f, t] : moves)
      if (f == from && t == to) return true;
    return false;
  }
};

using A = ActivityStatus;
constexpr StatusTable<A, 2, 1> kActivity{{{{A::kActive, "active"}, {A::kStopped, "stopped"}}}, {{{A::kActive, A::kStopped}}}};

using G = GroupStatus;
constexpr StatusTable<G, 3, 2> kGroup{{{{G::kForming, "forming"}, {G::kSucceeded, "succeeded"}, {G::kFailed, "failed"}}},
                                      {{{G::kForming, G::kSucceeded}, {G::kForming, G::kFailed}}}};

using B = BargainStatus;
constexpr StatusTable<B, 3, 4> kBargain{{{{B::kActive, "active"}, {B::kBought, "bought"}, {B::kExpired, "expired"}}},
                                        {{{B::kActive, B::kBought},
                                          {B::kActive, B::kExpired},
                                          {B::kBought, B::kActive},
                                          {B::kBought, B::kExpired}}}};

using F = GiftStatus;
constexpr StatusTable<F, 5, 4> kGift{
    {{{F::kUnpaid, "unpaid"}, {F::kWaiting, "waiting"}, {F::kAccepted, "accepted"}, {F::kRefunded, "refunded"}, {F::kCancelled, "cancelled"}}},
    {{{F::kUnpaid, F::kWaiting}, {F::kUnpaid, F::kCancelled}, {F::kWaiting, F::kAccepted}, {F::kWaiting, F::kRefunded}}}};

using C = CouponStatus;
constexpr StatusTable<C, 2, 1> kCoupon{{{{C::kActive, "active"}, {C::kStopped, "stopped"}}}, {{{C::kActive, C::kStopped}}}};

using U = UserCouponStatus;
constexpr StatusTable<U, 2, 2> kUserCoupon{{{{U::kUnused, "unused"}, {U::kUsed, "used"}}}, {{{U::kUnused, U::kUsed}, {U::kUsed, U::kUnused}}}};

using M = CommissionStatus;
constexpr StatusTable<M, 3, 2> kCommission{{{{M::kPending, "pending"}, {M::kPaid, "paid"}, {M::kCancelled, "cancelled"}}},
                                           {{{M::kPending, M::kPaid}, {M::kPending, M::kCancelled}}}};

}  // namespace

std::string_view Name(ActivityStatus s) { return kActivity.Name(s); }
std::string_view Name(GroupStatus s) { return kGroup.Name(s); }
std::string_view Name(BargainStatus s) { return kBargain.Name(s); }
std::string_view Name(GiftStatus s) { return kGift.Name(s); }
std::string_view Name(CouponStatus s) { return kCoupon.Name(s); }
std::string_view Name(UserCouponStatus s) { return kUserCoupon.Name(s); }
std::string_view Name(CommissionStatus s) { return kCommission.Name(s); }
std::optional<ActivityStatus> ParseActivityStatus(std::string_view name) { return kActivity.Parse(name); }
std::optional<GroupStatus> ParseGroupStatus(std::string_view name) { return kGroup.Parse(name); }
std::optional<BargainStatus> ParseBargainStatus(std::string_view name) { return kBargain.Parse(name); }
std::optional<GiftStatus> ParseGiftStatus(std::string_view name) { return kGift.Parse(name); }
std::optional<CouponStatus> ParseCouponStatus(std::string_view name) { return kCoupon.Parse(name); }
std::optional<UserCouponStatus> ParseUserCouponStatus(std::string_view name) { return kUserCoupon.Parse(name); }
std::optional<CommissionStatus> ParseCommissionStatus(std::string_view name) { return kCommission.Parse(name); }
bool CanMove(ActivityStatus from, ActivityStatus to) { return kActivity.CanMove(from, to); }
bool CanMove(GroupStatus from, GroupStatus to) { return kGroup.CanMove(from, to); }
bool CanMove(BargainStatus from, BargainStatus to) { return kBargain.CanMove(from, to); }
bool CanMove(GiftStatus from, GiftStatus to) { return kGift.CanMove(from, to); }
bool CanMove(CouponStatus from, CouponStatus to) { return kCoupon.CanMove(from, to); }
bool CanMove(UserCouponStatus from, UserCouponStatus to) { return kUserCoupon.CanMove(from, to); }
bool CanMove(CommissionStatus from, CommissionStatus to) { return kCommission.CanMove(from, to); }

}  // namespace xd::promo

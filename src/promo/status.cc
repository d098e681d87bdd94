// The statuses of promo's objects: one table per enum (base/state_table.h, as trade's and
// pay's) gives each status its stored name and the statuses it may move to. Every status
// change in promo goes through internal::Move, which refuses a move the table does not list.
#include <iterator>

#include "base/state_table.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

using state_table::At;
using state_table::Contains;
using state_table::Find;
using state_table::InOrder;
using state_table::Set;

// One row per status, in declaration order: its stored name and the Set it may move to
// (StatusRow: the store's xd::Row is another thing, seen here in a unity build).
template <class E>
struct StatusRow {
  E status;
  const char* name;
  unsigned next;
};

using A = ActivityStatus;
constexpr StatusRow<A> kActivity[] = {
    {A::kActive, "active", Set<A>({A::kStopped})},
    {A::kStopped, "stopped", Set<A>({})},
};

using G = GroupStatus;
constexpr StatusRow<G> kGroup[] = {
    {G::kForming, "forming", Set<G>({G::kSucceeded, G::kFailed})},
    {G::kSucceeded, "succeeded", Set<G>({})},
    {G::kFailed, "failed", Set<G>({})},
};

using B = BargainStatus;
constexpr StatusRow<B> kBargain[] = {
    {B::kActive, "active", Set<B>({B::kBought, B::kExpired})},
    {B::kBought, "bought", Set<B>({B::kActive, B::kExpired})},  // back to active: its order was cancelled in time
    {B::kExpired, "expired", Set<B>({})},
};

using F = GiftStatus;
constexpr StatusRow<F> kGift[] = {
    {F::kUnpaid, "unpaid", Set<F>({F::kWaiting, F::kCancelled})},
    {F::kWaiting, "waiting", Set<F>({F::kAccepted, F::kRefunded})},
    {F::kAccepted, "accepted", Set<F>({})},
    {F::kRefunded, "refunded", Set<F>({})},
    {F::kCancelled, "cancelled", Set<F>({})},
};

using C = CouponStatus;
constexpr StatusRow<C> kCoupon[] = {
    {C::kActive, "active", Set<C>({C::kStopped})},
    {C::kStopped, "stopped", Set<C>({})},
};

using U = UserCouponStatus;
constexpr StatusRow<U> kUserCoupon[] = {
    {U::kUnused, "unused", Set<U>({U::kUsed})},
    {U::kUsed, "used", Set<U>({U::kUnused})},  // its unpaid order was cancelled
};

using M = CommissionStatus;
constexpr StatusRow<M> kCommission[] = {
    {M::kPending, "pending", Set<M>({M::kPaid, M::kCancelled})},
    {M::kPaid, "paid", Set<M>({})},
    {M::kCancelled, "cancelled", Set<M>({})},
};

using S = internal::ActivityOrderState;
constexpr StatusRow<S> kActivityOrder[] = {
    {S::kCreated, "created", Set<S>({S::kPaid, S::kCancelled})},
    {S::kPaid, "paid", Set<S>({})},  // a refund after payment leaves it paid
    {S::kCancelled, "cancelled", Set<S>({})},
};
// The states in which an activity order still holds what its creation took.
constexpr unsigned kHoldsClaim = Set<S>({S::kCreated, S::kPaid});

static_assert(InOrder(kActivity) && std::size(kActivity) == static_cast<size_t>(A::kStopped) + 1);
static_assert(InOrder(kGroup) && std::size(kGroup) == static_cast<size_t>(G::kFailed) + 1);
static_assert(InOrder(kBargain) && std::size(kBargain) == static_cast<size_t>(B::kExpired) + 1);
static_assert(InOrder(kGift) && std::size(kGift) == static_cast<size_t>(F::kCancelled) + 1);
static_assert(InOrder(kCoupon) && std::size(kCoupon) == static_cast<size_t>(C::kStopped) + 1);
static_assert(InOrder(kUserCoupon) && std::size(kUserCoupon) == static_cast<size_t>(U::kUsed) + 1);
static_assert(InOrder(kCommission) && std::size(kCommission) == static_cast<size_t>(M::kCancelled) + 1);
static_assert(InOrder(kActivityOrder) && std::size(kActivityOrder) == static_cast<size_t>(S::kCancelled) + 1);

}  // namespace

// Name, Parse<Kind> and CanMove of one kind of status, read from its table.
#define XD_PROMO_STATUS_TABLE(E, kTable, Parse)                                        \
  std::string_view Name(E s) { return At(kTable, s).name; }                            \
  std::optional<E> Parse(std::string_view name) { return Find<E>(kTable, name); }      \
  bool CanMove(E from, E to) { return Contains(At(kTable, from).next, to); }

XD_PROMO_STATUS_TABLE(ActivityStatus, kActivity, ParseActivityStatus)
XD_PROMO_STATUS_TABLE(GroupStatus, kGroup, ParseGroupStatus)
XD_PROMO_STATUS_TABLE(BargainStatus, kBargain, ParseBargainStatus)
XD_PROMO_STATUS_TABLE(GiftStatus, kGift, ParseGiftStatus)
XD_PROMO_STATUS_TABLE(CouponStatus, kCoupon, ParseCouponStatus)
XD_PROMO_STATUS_TABLE(UserCouponStatus, kUserCoupon, ParseUserCouponStatus)
XD_PROMO_STATUS_TABLE(CommissionStatus, kCommission, ParseCommissionStatus)

namespace internal {

XD_PROMO_STATUS_TABLE(ActivityOrderState, kActivityOrder, ParseActivityOrderState)
bool HoldsClaim(ActivityOrderState s) { return Contains(kHoldsClaim, s); }
std::string ActivityOrderStateSql(bool (*pred)(ActivityOrderState)) { return state_table::SqlList(kActivityOrder, pred); }

}  // namespace internal

#undef XD_PROMO_STATUS_TABLE

}  // namespace xd::promo

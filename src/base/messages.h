// The message catalogue: what a user is told when something fails, in their language.
//
// Each failure a user can see has a stable key (the API's "reason", e.g. PHONE_TAKEN), the
// top-level ErrorCode it answers with (the API's "code" and HTTP status, unchanged for
// clients), and a zh and an en template with named parameters ("每人限购 {limit} 件").
// The keys and codes are listed here; the templates sit in one table in messages.cc, so the
// two languages of a message are side by side. messages_test fails when a key lacks a
// template in either language, or when the two quote different parameters.
//
//   if (to == from) return Fail(Msg::BEFRIEND_SELF);
//   return Fail(Msg::PER_USER_LIMIT, {{"limit", limit}, {"held", bought}});
//   r.Invalid("type", Msg::COUPON_TYPE_INVALID);      // ObjectReader: names the field
//
// The HTTP layer renders an Error for the request's Accept-Language (zh unless en is
// preferred). An Error without a reason (Fail(code, text): operators' errors from the store,
// the drivers) is shown to users as its code's generic message below; its text goes to logs.
// Field names and status words are quoted by their label (Field, Term), never raw.
//
// Thread-safety: everything here is immutable after static initialisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/result.h"

namespace xd {

// X(KEY, CODE). The first block has one generic key per ErrorCode, named as the code: what a
// user sees for an error that has no key of its own.
#define XD_MESSAGES(X)                                                                        \
  X(BAD_REQUEST, BAD_REQUEST)                                                                 \
  X(INVALID_JSON, INVALID_JSON)                                                               \
  X(INVALID_FIELD, INVALID_FIELD)                                                             \
  X(UNKNOWN_FIELD, UNKNOWN_FIELD)                                                             \
  X(MISSING_FIELD, MISSING_FIELD)                                                             \
  X(UNAUTHENTICATED, UNAUTHENTICATED)                                                         \
  X(INVALID_CREDENTIALS, INVALID_CREDENTIALS)                                                 \
  X(FORBIDDEN, FORBIDDEN)                                                                     \
  X(NOT_FOUND, NOT_FOUND)                                                                     \
  X(METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED)                                                   \
  X(GONE, GONE)                                                                               \
  X(CONFLICT, CONFLICT)                                                                       \
  X(ALREADY_EXISTS, ALREADY_EXISTS)                                                           \
  X(INVALID_STATE, INVALID_STATE)                                                             \
  X(OUT_OF_STOCK, OUT_OF_STOCK)                                                               \
  X(IDEMPOTENCY_IN_USE, IDEMPOTENCY_IN_USE)                                                   \
  X(IDEMPOTENCY_MISMATCH, IDEMPOTENCY_MISMATCH)                                               \
  X(PAYLOAD_TOO_LARGE, PAYLOAD_TOO_LARGE)                                                     \
  X(UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_MEDIA_TYPE)                                           \
  X(RULE_VIOLATION, RULE_VIOLATION)                                                           \
  X(LIMIT_EXCEEDED, LIMIT_EXCEEDED)                                                           \
  X(INSUFFICIENT_FUNDS, INSUFFICIENT_FUNDS)                                                   \
  X(INVALID_SIGNATURE, INVALID_SIGNATURE)                                                     \
  X(INVALID_CODE, INVALID_CODE)                                                               \
  X(RATE_LIMITED, RATE_LIMITED)                                                               \
  X(LOCKED, LOCKED)                                                                           \
  X(INTERNAL, INTERNAL)                                                                       \
  X(UNAVAILABLE, UNAVAILABLE)                                                                 \
  X(ABORTED, ABORTED)                                                                         \
  /* request decoding (base/json, http) */                                                    \
  X(JSON_TOO_DEEP, INVALID_JSON)                                                              \
  X(JSON_NOT_OBJECT, INVALID_JSON)                                                            \
  X(BODY_REQUIRED, INVALID_JSON)                                                              \
  X(CONTENT_TYPE_JSON, BAD_REQUEST)                                                           \
  X(FIELD_REQUIRED, MISSING_FIELD)                                                            \
  X(FIELD_UNKNOWN, UNKNOWN_FIELD)                                                             \
  X(FIELD_NOT_TEXT, INVALID_FIELD)                                                            \
  X(FIELD_LENGTH, INVALID_FIELD)                                                              \
  X(FIELD_NOT_INTEGER, INVALID_FIELD)                                                         \
  X(FIELD_RANGE, INVALID_FIELD)                                                               \
  X(FIELD_TOO_SMALL, INVALID_FIELD)                                                           \
  X(FIELD_TOO_LARGE, INVALID_FIELD)                                                           \
  X(FIELD_NOT_BOOL, INVALID_FIELD)                                                            \
  X(FIELD_NOT_ID, INVALID_FIELD)                                                              \
  X(FIELD_NOT_TIME, INVALID_FIELD)                                                            \
  X(FIELD_NOT_OBJECT, INVALID_FIELD)                                                          \
  X(FIELD_NOT_ARRAY, INVALID_FIELD)                                                           \
  X(FIELD_TOO_MANY, INVALID_FIELD)                                                            \
  X(FIELD_NOT_ALLOWED, INVALID_FIELD)                                                         \
  X(FIELD_INVALID, INVALID_FIELD)                                                             \
  X(FIELD_ONE_OF, INVALID_FIELD)                                                              \
  X(FIELD_EMPTY, INVALID_FIELD)                                                               \
  X(FIELD_DUPLICATES, INVALID_FIELD)                                                          \
  X(PATH_ID_INVALID, NOT_FOUND)                                                               \
  X(PAGE_LIMIT_RANGE, INVALID_FIELD)                                                          \
  X(CURSOR_INVALID, INVALID_FIELD)                                                            \
  X(ROUTE_NOT_FOUND, NOT_FOUND)                                                               \
  X(HEADERS_TOO_LARGE, BAD_REQUEST)                                                           \
  X(MALFORMED_HTTP, BAD_REQUEST)                                                              \
  X(TRANSFER_ENCODING_UNSUPPORTED, BAD_REQUEST)                                               \
  X(ADDRESS_RATE_LIMITED, RATE_LIMITED)                                                       \
  X(AMOUNT_OVERFLOW, INVALID_FIELD)                                                           \
  /* idempotency */                                                                           \
  X(IDEMPOTENCY_RETRY, CONFLICT)                                                              \
  X(IDEMPOTENCY_KEY_TOO_LONG, INVALID_FIELD)                                                  \
  /* the store */                                                                             \
  X(DATA_CONFLICT, CONFLICT)                                                                  \
  X(STORE_BUSY, UNAVAILABLE)                                                                  \
  X(STORE_UNAVAILABLE, UNAVAILABLE)                                                           \
  X(STORE_FULL, UNAVAILABLE)                                                                  \
  X(STORE_READ_ONLY, UNAVAILABLE)                                                             \
  X(STORE_OUTCOME_UNKNOWN, UNAVAILABLE)                                                       \
  /* signing in, sessions, API keys */                                                        \
  X(WRONG_PASSWORD, INVALID_CREDENTIALS)                                                      \
  X(LOGIN_LOCKED, LOCKED)                                                                     \
  X(TOO_MANY_REQUESTS_HERE, RATE_LIMITED)                                                     \
  X(ACCOUNT_RATE_LIMITED, RATE_LIMITED)                                                       \
  X(SERVER_BUSY, UNAVAILABLE)                                                                 \
  X(SIGN_IN_REQUIRED, UNAUTHENTICATED)                                                        \
  X(SESSION_INVALID, UNAUTHENTICATED)                                                         \
  X(CREDENTIALS_CHANGED, UNAUTHENTICATED)                                                     \
  X(ADMIN_ONLY, FORBIDDEN)                                                                    \
  X(API_KEYS_DISABLED, UNAUTHENTICATED)                                                       \
  X(API_KEY_NOT_ACCEPTED, FORBIDDEN)                                                          \
  X(API_KEY_SCOPE_MISSING, FORBIDDEN)                                                         \
  X(API_KEY_OTHER_MERCHANT, FORBIDDEN)                                                        \
  X(API_KEY_NOT_USER, FORBIDDEN)                                                              \
  X(API_KEY_RATE_LIMITED, RATE_LIMITED)                                                       \
  X(API_KEY_MALFORMED, UNAUTHENTICATED)                                                       \
  X(API_KEY_UNKNOWN, UNAUTHENTICATED)                                                         \
  X(API_KEY_REVOKED, UNAUTHENTICATED)                                                         \
  X(MERCHANT_HEADER_INVALID, INVALID_FIELD)                                                   \
  X(MERCHANT_HEADER_REQUIRED, MISSING_FIELD)                                                  \
  X(NOT_STAFF_ANY, FORBIDDEN)                                                                 \
  /* accounts, shops, staff, friends, addresses */                                            \
  X(PHONE_INVALID, INVALID_FIELD)                                                             \
  X(PASSWORD_LENGTH, INVALID_FIELD)                                                           \
  X(NICKNAME_REQUIRED, INVALID_FIELD)                                                         \
  X(NICKNAME_TOO_LONG, INVALID_FIELD)                                                         \
  X(PHONE_TAKEN, ALREADY_EXISTS)                                                              \
  X(USER_NOT_FOUND, NOT_FOUND)                                                                \
  X(ADMIN_ONLY_OWNER, FORBIDDEN)                                                              \
  X(MERCHANT_KIND_INVALID, INVALID_FIELD)                                                     \
  X(MERCHANT_NAME_LENGTH, INVALID_FIELD)                                                      \
  X(C2C_SHOP_EXISTS, ALREADY_EXISTS)                                                          \
  X(MERCHANT_NOT_PENDING, INVALID_STATE)                                                      \
  X(ADMIN_ONLY_MERCHANT_RULES, FORBIDDEN)                                                     \
  X(MERCHANT_STATUS_INVALID, INVALID_FIELD)                                                   \
  X(MERCHANT_PROFILE_LENGTH, INVALID_FIELD)                                                   \
  X(MERCHANT_SETTINGS_RANGE, INVALID_FIELD)                                                   \
  X(MERCHANT_KIND_UNKNOWN, NOT_FOUND)                                                         \
  X(MERCHANT_NOT_FOUND, NOT_FOUND)                                                            \
  X(MERCHANT_NOT_ACTIVE, INVALID_STATE)                                                       \
  X(NOT_STAFF, FORBIDDEN)                                                                     \
  X(ROLE_NOT_ALLOWED, FORBIDDEN)                                                              \
  X(MERCHANT_READ_ONLY, INVALID_STATE)                                                        \
  X(STAFF_ROLE_INVALID, INVALID_FIELD)                                                        \
  X(INVITATION_NOT_FOUND, NOT_FOUND)                                                          \
  X(ONE_OWNER, RULE_VIOLATION)                                                                \
  X(OWNER_ALREADY_STAFF, RULE_VIOLATION)                                                      \
  X(ALREADY_STAFF_ROLE, ALREADY_EXISTS)                                                       \
  X(TOO_MANY_INVITATIONS, LIMIT_EXCEEDED)                                                     \
  X(STAFF_NOT_FOUND, NOT_FOUND)                                                               \
  X(BEFRIEND_SELF, RULE_VIOLATION)                                                            \
  X(ALREADY_FRIENDS, ALREADY_EXISTS)                                                          \
  X(FRIEND_REQUEST_NOT_FOUND, NOT_FOUND)                                                      \
  X(FRIEND_REQUEST_ANSWERED, INVALID_STATE)                                                   \
  X(NOT_FRIENDS, NOT_FOUND)                                                                   \
  X(TOO_MANY_ADDRESSES, LIMIT_EXCEEDED)                                                       \
  X(ADDRESS_NOT_FOUND, NOT_FOUND)                                                             \
  /* open platform */                                                                         \
  X(OPEN_KA_ONLY, FORBIDDEN)                                                                  \
  X(WEBHOOK_URL_TOO_LONG, INVALID_FIELD)                                                      \
  X(WEBHOOK_URL_CHARS, INVALID_FIELD)                                                         \
  X(WEBHOOK_HTTPS_UNSUPPORTED, INVALID_FIELD)                                                 \
  X(WEBHOOK_URL_SCHEME, INVALID_FIELD)                                                        \
  X(WEBHOOK_URL_FRAGMENT, INVALID_FIELD)                                                      \
  X(WEBHOOK_URL_CREDENTIALS, INVALID_FIELD)                                                   \
  X(WEBHOOK_URL_IPV6, INVALID_FIELD)                                                          \
  X(WEBHOOK_URL_PORT, INVALID_FIELD)                                                          \
  X(WEBHOOK_URL_HOST, INVALID_FIELD)                                                          \
  X(WEBHOOK_URL_HOST_CHARS, INVALID_FIELD)                                                    \
  X(WEBHOOK_URL_HOST_FORM, INVALID_FIELD)                                                     \
  X(WEBHOOK_URL_PRIVATE, INVALID_FIELD)                                                       \
  /* promotions */                                                                            \
  X(PER_USER_LIMIT, LIMIT_EXCEEDED)                                                           \
  X(FLASH_SOLD_OUT, OUT_OF_STOCK)                                                             \
  X(FLASH_NEEDS_TIMES, MISSING_FIELD)                                                         \
  X(ACTIVITY_PRICE_NOT_BELOW, RULE_VIOLATION)                                                 \
  /* open platform: keys, inventory, webhooks */                                              \
  X(SCOPE_UNKNOWN, INVALID_FIELD)                                                             \
  X(TOO_MANY_API_KEYS, LIMIT_EXCEEDED)                                                        \
  X(API_KEY_NOT_FOUND, NOT_FOUND)                                                             \
  X(INVENTORY_ITEM_SKU, INVALID_FIELD)                                                        \
  X(INVENTORY_ITEM_EMPTY, INVALID_FIELD)                                                      \
  X(SKU_NOT_FOUND, NOT_FOUND)                                                                 \
  X(SKU_TWICE, INVALID_FIELD)                                                                 \
  X(EVENT_TYPE_UNKNOWN, INVALID_FIELD)                                                        \
  X(NOTHING_TO_CHANGE, INVALID_FIELD)                                                         \
  X(WEBHOOK_NOT_FOUND, NOT_FOUND)                                                             \
  X(WEBHOOK_URL_AND_EVENTS_REQUIRED, MISSING_FIELD)                                           \
  X(TOO_MANY_WEBHOOKS, LIMIT_EXCEEDED)                                                        \
  X(DELIVERY_NOT_FOUND, NOT_FOUND)                                                            \
  X(DELIVERY_ENDPOINT_DELETED, INVALID_STATE)                                                 \
  X(SIGNATURE_HEADER_MALFORMED, INVALID_SIGNATURE)                                            \
  X(SIGNATURE_STALE, INVALID_SIGNATURE)                                                       \
  X(SIGNATURE_MISMATCH, INVALID_SIGNATURE)                                                    \
  /* catalog */                                                                               \
  X(FIELD_VALUES_SHORT_TEXT, INVALID_FIELD)                                                   \
  X(IMAGES_INVALID, INVALID_FIELD)                                                            \
  X(IMAGE_URL_INVALID, INVALID_FIELD)                                                         \
  X(PRODUCT_STATUS_INVALID, INVALID_FIELD)                                                    \
  X(PRODUCT_NEEDS_SKU, INVALID_FIELD)                                                         \
  X(SKU_SPEC_DUPLICATE, INVALID_FIELD)                                                        \
  X(PRODUCT_LIMIT, LIMIT_EXCEEDED)                                                            \
  X(PRODUCT_TAKEN_DOWN, RULE_VIOLATION)                                                       \
  X(SKU_PRICE_STOCK_RANGE, INVALID_FIELD)                                                     \
  X(PRODUCT_NOT_FOUND, NOT_FOUND)                                                             \
  X(SKU_CODE_NOT_FOUND, NOT_FOUND)                                                            \
  X(SKU_CODE_AMBIGUOUS, CONFLICT)                                                             \
  X(NOT_ENOUGH_STOCK, OUT_OF_STOCK)                                                           \
  /* media (uploaded photos) */                                                               \
  X(MEDIA_TOO_LARGE, PAYLOAD_TOO_LARGE)                                                       \
  X(MEDIA_NOT_IMAGE, UNSUPPORTED_MEDIA_TYPE)                                                  \
  X(IMAGE_TOO_MANY_PIXELS, PAYLOAD_TOO_LARGE)                                                 \
  X(IMAGE_UNREADABLE, UNSUPPORTED_MEDIA_TYPE)                                                 \
  X(MEDIA_QUOTA, LIMIT_EXCEEDED)                                                              \
  X(MEDIA_FILE_MISSING, MISSING_FIELD)                                                        \
  X(MULTIPART_MALFORMED, BAD_REQUEST)                                                         \
  X(MEDIA_NOT_FOUND, NOT_FOUND)                                                               \
  X(UPLOADS_BUSY, UNAVAILABLE)                                                                \
  X(USER_MEDIA_QUOTA, LIMIT_EXCEEDED)                                                         \
  /* freight templates and regions */                                                         \
  X(REGION_CODES_INVALID, INVALID_FIELD)                                                      \
  X(REGION_CODE_UNKNOWN, INVALID_FIELD)                                                       \
  X(UNDELIVERABLE, RULE_VIOLATION)                                                            \
  X(ADDRESS_REGION_NEEDED, RULE_VIOLATION)                                                    \
  X(FREIGHT_TEMPLATE_NOT_FOUND, NOT_FOUND)                                                    \
  X(FREIGHT_TEMPLATES_LIMIT, LIMIT_EXCEEDED)                                                  \
  X(FREIGHT_RULES_RANGE, INVALID_FIELD)                                                       \
  X(FREIGHT_ONE_DEFAULT_RULE, INVALID_FIELD)                                                  \
  X(FREIGHT_REGION_TWICE, INVALID_FIELD)                                                      \
  X(FREIGHT_MODE_INVALID, INVALID_FIELD)                                                      \
  /* sharing, chat groups, gifts */                                                           \
  X(FIELD_NEEDED, INVALID_FIELD)                                                              \
  X(SHARE_NOT_FOUND, NOT_FOUND)                                                               \
  X(SHARE_TARGET_ALONE, INVALID_FIELD)                                                        \
  X(SHARE_TARGET_REQUIRED, INVALID_FIELD)                                                     \
  X(SHARE_DAILY_LIMIT, LIMIT_EXCEEDED)                                                        \
  X(SHARE_CODE_COLLISION, CONFLICT)                                                           \
  X(COMMISSION_BPS_RANGE, INVALID_FIELD)                                                      \
  X(CHAT_GROUP_NOT_FOUND, NOT_FOUND)                                                          \
  X(GIFT_NOT_FOUND, NOT_FOUND)                                                                \
  X(QR_TEXT_LENGTH, INVALID_FIELD)                                                            \
  /* membership cards */                                                                      \
  X(ISSUE_LIMIT_RANGE, INVALID_FIELD)                                                         \
  X(FIELD_NOT_DEGREES, INVALID_FIELD)                                                         \
  X(FIELD_DEGREES_RANGE, INVALID_FIELD)                                                       \
  /* trade: cart, checkout, orders, after-sales */                                            \
  X(ORDER_LINES_RANGE, INVALID_FIELD)                                                         \
  X(CHECKOUT_ITEMS_OR_CART, INVALID_FIELD)                                                    \
  X(CART_ITEM_IDS_RANGE, INVALID_FIELD)                                                       \
  X(COUPON_IDS_RANGE, INVALID_FIELD)                                                          \
  X(ADDRESS_REQUIRED, MISSING_FIELD)                                                          \
  X(CARD_NEEDS_ONE_SHOP, INVALID_FIELD)                                                       \
  X(CART_ITEM_NOT_FOUND, NOT_FOUND)                                                           \
  X(LINE_QUANTITY_LIMIT, LIMIT_EXCEEDED)                                                      \
  X(ORDER_TOTAL_LIMIT, LIMIT_EXCEEDED)                                                        \
  X(QUANTITY_RANGE, INVALID_FIELD)                                                            \
  X(CART_FULL, LIMIT_EXCEEDED)                                                                \
  X(ORDER_NOT_FOUND, NOT_FOUND)                                                               \
  X(ORDER_CANNOT_MOVE, INVALID_STATE)                                                         \
  X(ORDER_WAITING, INVALID_STATE)                                                             \
  X(ORDER_CHANGED, INVALID_STATE)                                                             \
  X(ORDER_NOT_CANCELLABLE, INVALID_STATE)                                                     \
  X(ORDER_NOT_PAYABLE, INVALID_STATE)                                                         \
  X(NOTIFICATION_EVENT_UNKNOWN, INVALID_FIELD)                                                \
  X(NOTIFICATION_UNCONFIRMED, RULE_VIOLATION)                                                 \
  X(REFUND_NUMBER_INVALID, INVALID_FIELD)                                                     \
  X(ORDER_NOT_CONFIRMABLE, INVALID_STATE)                                                     \
  X(ORDER_NOT_SHIPPABLE, INVALID_STATE)                                                       \
  X(ORDER_NOT_WAITING, INVALID_STATE)                                                         \
  X(ORDER_NOT_REFUNDABLE_UNSHIPPED, INVALID_STATE)                                            \
  X(AFTERSALE_CANNOT_MOVE, INVALID_STATE)                                                     \
  X(AFTERSALE_CHANGED, INVALID_STATE)                                                         \
  X(AFTERSALE_NOT_FOUND, NOT_FOUND)                                                           \
  X(AFTERSALE_TYPE_INVALID, INVALID_FIELD)                                                    \
  X(REFUND_ONLY_NO_ITEMS, INVALID_FIELD)                                                      \
  X(AFTERSALE_ORDER_STATE, INVALID_STATE)                                                     \
  X(NOTHING_TO_RETURN, RULE_VIOLATION)                                                        \
  X(REFUND_AMOUNT_RANGE, RULE_VIOLATION)                                                      \
  X(RETURN_ITEM_NOT_IN_ORDER, INVALID_FIELD)                                                  \
  X(RETURN_QUANTITY_LIMIT, RULE_VIOLATION)                                                    \
  X(NOTHING_LEFT_TO_RETURN, RULE_VIOLATION)                                                   \
  X(AFTERSALE_NOT_PENDING, INVALID_STATE)                                                     \
  X(RETURN_SHIPMENT_REQUIRED, INVALID_FIELD)                                                  \
  X(AFTERSALE_NOT_RETURNING, INVALID_STATE)                                                   \
  /* payments, ledger, the sandbox provider */                                                \
  X(PAYMENT_NOT_FOUND, NOT_FOUND)                                                             \
  X(CARD_AMOUNT_RANGE, INVALID_FIELD)                                                         \
  X(CARD_BALANCE_LOW, INSUFFICIENT_FUNDS)                                                     \
  X(NO_PAYMENT_TO_REFUND, INVALID_STATE)                                                      \
  X(REFUND_EXCEEDS_PAID, RULE_VIOLATION)                                                      \
  X(REFUND_NOT_FOUND, NOT_FOUND)                                                              \
  X(STATUS_CANNOT_MOVE, INVALID_STATE)                                                        \
  X(STATUS_CHANGED, INVALID_STATE)                                                            \
  X(AMOUNT_RANGE, INVALID_FIELD)                                                              \
  X(AMOUNT_NOT_POSITIVE, INVALID_FIELD)                                                       \
  X(WITHDRAWABLE_LOW, INSUFFICIENT_FUNDS)                                                     \
  X(PROVIDER_PAYMENT_NOT_FOUND, NOT_FOUND)                                                    \
  X(PROVIDER_PAYMENT_DONE, INVALID_STATE)                                                     \
  X(PROVIDER_TXN_NOT_FOUND, NOT_FOUND)                                                        \
  X(NOTIFICATION_SIGNATURE_BAD, INVALID_SIGNATURE)                                            \
  X(NOTIFICATION_STALE, INVALID_SIGNATURE)                                                    \
  X(PAYMENT_NO_PROVIDER_STEP, INVALID_STATE)                                                  \
  X(PAYMENT_NOT_PENDING, INVALID_STATE)                                                       \
  /* promotions: activities, group buys, bargains, coupons, gifts, share-drop, chat groups */ \
  X(ACTIVITY_ID_REQUIRED, MISSING_FIELD)                                                      \
  X(ACTIVITY_GROUP_OR_BARGAIN, INVALID_FIELD)                                                 \
  X(ACTIVITY_NOT_FOUND, NOT_FOUND)                                                            \
  X(ACTIVITY_STOPPED, INVALID_STATE)                                                          \
  X(ACTIVITY_NOT_STARTED, INVALID_STATE)                                                      \
  X(ACTIVITY_ENDED, INVALID_STATE)                                                            \
  X(ACTIVITY_TYPE_UNKNOWN, INVALID_FIELD)                                                     \
  X(ENDS_BEFORE_STARTS, INVALID_FIELD)                                                        \
  X(ENDS_IN_PAST, INVALID_FIELD)                                                              \
  X(BARGAIN_HELPS_RANGE, INVALID_FIELD)                                                       \
  X(BARGAIN_CUT_TOO_SMALL, INVALID_FIELD)                                                     \
  X(BARGAIN_NOT_FOUND, NOT_FOUND)                                                             \
  X(BARGAIN_ID_REQUIRED, MISSING_FIELD)                                                       \
  X(BARGAIN_OVER, INVALID_STATE)                                                              \
  X(BARGAIN_EXPIRED, INVALID_STATE)                                                           \
  X(BARGAIN_ONE_UNIT, INVALID_FIELD)                                                          \
  X(BARGAIN_NOT_ACTIVE, CONFLICT)                                                             \
  X(FLOOR_NOT_BELOW, RULE_VIOLATION)                                                          \
  X(FLOOR_TOO_CLOSE, RULE_VIOLATION)                                                          \
  X(ACTIVITY_NOT_BARGAIN, INVALID_FIELD)                                                      \
  X(BARGAIN_PRICE_CHANGED, RULE_VIOLATION)                                                    \
  X(BARGAIN_RUNNING, ALREADY_EXISTS)                                                          \
  X(BARGAIN_SELF_HELP, RULE_VIOLATION)                                                        \
  X(BARGAIN_HELPED, ALREADY_EXISTS)                                                           \
  X(BARGAIN_AT_FLOOR, INVALID_STATE)                                                          \
  X(BARGAIN_DAILY_CAP, LIMIT_EXCEEDED)                                                        \
  X(BARGAIN_CHANGED, CONFLICT)                                                                \
  X(COUPON_SKUS_EMPTY, INVALID_FIELD)                                                         \
  X(COUPON_NOT_FOUND, NOT_FOUND)                                                              \
  X(ONE_COUPON_PER_ORDER, RULE_VIOLATION)                                                     \
  X(COUPON_USED, INVALID_STATE)                                                               \
  X(COUPON_NOT_APPLICABLE, RULE_VIOLATION)                                                    \
  X(COUPON_MIN_SPEND, RULE_VIOLATION)                                                         \
  X(COUPON_NOT_YET_VALID, RULE_VIOLATION)                                                     \
  X(COUPON_EXPIRED, RULE_VIOLATION)                                                           \
  X(THRESHOLD_COUPON_AMOUNT, INVALID_FIELD)                                                   \
  X(COUPON_VALIDITY_BOTH, INVALID_FIELD)                                                      \
  X(COUPON_VALIDITY_REQUIRED, MISSING_FIELD)                                                  \
  X(VALID_TO_BEFORE_FROM, INVALID_FIELD)                                                      \
  X(MERCHANT_COUPON_SCOPE, INVALID_FIELD)                                                     \
  X(PLATFORM_COUPON_SCOPE, INVALID_FIELD)                                                     \
  X(VALID_TO_IN_PAST, INVALID_FIELD)                                                          \
  X(COUPON_NOT_HANDED_OUT, INVALID_STATE)                                                     \
  X(COUPON_CLAIM_EXPIRED, INVALID_STATE)                                                      \
  X(COUPON_PER_USER_LIMIT, LIMIT_EXCEEDED)                                                    \
  X(COUPON_ALL_CLAIMED, CONFLICT)                                                             \
  X(COUPON_STATUS_FILTER, INVALID_FIELD)                                                      \
  X(GIFT_SELF_ACCEPT, RULE_VIOLATION)                                                         \
  X(GIFT_ACCEPTED, INVALID_STATE)                                                             \
  X(GIFT_INVALID, INVALID_STATE)                                                              \
  X(GIFT_EXPIRED, INVALID_STATE)                                                              \
  X(SHARER_BALANCE_LOW, INSUFFICIENT_FUNDS)                                                    \
  X(GIFT_ALL_ACCEPTED, CONFLICT)                                                               \
  X(GIFT_PART_HELD, ALREADY_EXISTS)                                                            \
  X(GIFT_PARTS_QUANTITY, INVALID_FIELD)                                                        \
  X(ACTIVITY_NOT_GIFTABLE, INVALID_FIELD)                                                     \
  X(ACTIVITY_ONE_SKU, INVALID_FIELD)                                                          \
  X(GROUP_ID_NOT_GROUP_BUY, INVALID_FIELD)                                                    \
  X(BARGAIN_ID_NOT_BARGAIN, INVALID_FIELD)                                                    \
  X(GROUP_NOT_FOUND, NOT_FOUND)                                                               \
  X(GROUP_OVER, INVALID_STATE)                                                                \
  X(GROUP_EXPIRED, INVALID_STATE)                                                             \
  X(GROUP_SEAT_HELD, ALREADY_EXISTS)                                                          \
  X(GROUP_NEW_USERS_ONLY, RULE_VIOLATION)                                                     \
  X(GROUP_FULL, CONFLICT)                                                                     \
  X(LEADER_PRICE_ABOVE_GROUP, INVALID_FIELD)                                                  \
  X(GROUP_PRICE_NOT_BELOW, RULE_VIOLATION)                                                    \
  X(TIERS_MUST_RISE, INVALID_FIELD)                                                           \
  X(RECOMMENDATION_LENGTH, INVALID_FIELD)                                                     \
  X(STATUS_CANNOT_CHANGE, INVALID_STATE)                                                      \
  X(STATUS_CHANGED_RELOAD, INVALID_STATE)                                                     \
  /* the rest: search, shipping, sandbox modes, metrics, timers */                            \
  X(FIELD_NOT_NON_NEGATIVE, INVALID_FIELD)                                                    \
  X(SEARCH_QUERY_TOO_LONG, INVALID_FIELD)                                                     \
  X(SEARCH_SORT_INVALID, INVALID_FIELD)                                                       \
  X(METRICS_FORBIDDEN, FORBIDDEN)                                                             \
  X(SANDBOX_MODE_INVALID, INVALID_FIELD)                                                      \
  X(LEDGER_ACCOUNT_INVALID, INVALID_FIELD)                                                    \
  X(WAIT_MS_RANGE, INVALID_FIELD)                                                             \
  X(SHIPMENT_REQUIRED, INVALID_FIELD)                                                         \
  X(SHIPMENT_TOO_LONG, INVALID_FIELD)                                                         \
  X(TRACKING_DESCRIPTION_LENGTH, INVALID_FIELD)                                               \
  X(SHIPMENT_NOT_FOUND, NOT_FOUND)                                                            \
  X(SHIPMENT_DELIVERED, INVALID_STATE)                                                        \
  X(CURSOR_MOVED, CONFLICT)                                                                   \
  X(TIMER_NOT_FOUND, NOT_FOUND)                                                               \
  X(SPLIT_INVALID, INVALID_FIELD)                                                             \
  /* membership cards: programme, stores, cards, member codes */                              \
  X(MEMBER_LEVELS_RANGE, INVALID_FIELD)                                                       \
  X(MEMBER_FIRST_LEVEL_ZERO, INVALID_FIELD)                                                   \
  X(MEMBER_LEVELS_RISE, INVALID_FIELD)                                                        \
  X(MEMBER_LEVEL_NAME_TWICE, INVALID_FIELD)                                                   \
  X(MEMBER_COVER_COLOR, INVALID_FIELD)                                                        \
  X(MEMBER_PROGRAMME_NOT_FOUND, NOT_FOUND)                                                    \
  X(MEMBER_ISSUE_LIMIT_BELOW_ISSUED, RULE_VIOLATION)                                          \
  X(MEMBER_TOO_MANY_STORES, LIMIT_EXCEEDED)                                                   \
  X(MEMBER_STORE_NOT_FOUND, NOT_FOUND)                                                        \
  X(MEMBER_CODE_INVALID, INVALID_CODE)                                                        \
  X(MEMBER_CLAIM_LINK_NOT_FOUND, NOT_FOUND)                                                   \
  X(MEMBER_CLAIM_CONFLICT, CONFLICT)                                                          \
  X(MEMBER_CARDS_ALL_ISSUED, CONFLICT)                                                        \
  X(MEMBER_CARD_NOT_FOUND, NOT_FOUND)                                                         \
  X(REVIEW_ITEM_NOT_FOUND, NOT_FOUND)                                                         \
  X(REVIEW_ORDER_NOT_COMPLETED, INVALID_STATE)                                                \
  X(REVIEW_EXISTS, ALREADY_EXISTS)                                                            \
  X(REVIEW_NOT_FOUND, NOT_FOUND)                                                              \
  X(REVIEW_REPLIED, ALREADY_EXISTS)                                                           \
  X(REVIEW_PHOTO_NOT_YOURS, RULE_VIOLATION)                                                   \
  X(FAVORITES_FULL, LIMIT_EXCEEDED)                                                           \
  X(CS_THREAD_NOT_FOUND, NOT_FOUND)                                                           \
  X(CS_THREAD_FULL, LIMIT_EXCEEDED)                                                           \
  /* community group buying: leaders, pickup points, campaigns, batches, pickup codes */ \
  X(COMMUNITY_REF_INVALID, INVALID_FIELD)                                                     \
  X(COMMUNITY_NO_ACTIVITY, INVALID_FIELD)                                                     \
  X(CUTOFF_PASSED, CONFLICT)                                                                  \
  X(CAMPAIGN_NOT_STARTED, CONFLICT)                                                           \
  X(LEADER_INACTIVE, GONE)                                                                    \
  X(LEADER_NOT_FOUND, NOT_FOUND)                                                              \
  X(CAMPAIGN_NOT_FOUND, NOT_FOUND)                                                            \
  X(PICKUP_POINT_NOT_FOUND, NOT_FOUND)                                                        \
  X(CAMPAIGN_SKU_NOT_IN, RULE_VIOLATION)                                                      \
  X(CAMPAIGN_SOLD_OUT, OUT_OF_STOCK)                                                          \
  X(LEADER_ALREADY, ALREADY_EXISTS)                                                           \
  X(LEADER_STATE, INVALID_STATE)                                                              \
  X(BATCH_NOT_FOUND, NOT_FOUND)                                                               \
  X(BATCH_STATE, INVALID_STATE)                                                               \
  X(PICKUP_CODE_NOT_FOUND, NOT_FOUND)                                                         \
  X(PICKUP_CODE_USED, CONFLICT)                                                               \
  X(PICKUP_NOT_ARRIVED, INVALID_STATE)                                                        \
  X(PICKUP_ITEMS_EXCEED, RULE_VIOLATION)                                                      \
  X(CAMPAIGN_ITEMS_RANGE, INVALID_FIELD)                                                      \
  X(CAMPAIGN_TIMES, INVALID_FIELD)                                                            \
  X(PICKUP_DATE_INVALID, INVALID_FIELD)                                                       \
  X(CAMPAIGN_SKU_TWICE, INVALID_FIELD)                                                        \
  X(CAMPAIGN_PRICE_ABOVE_LIST, INVALID_FIELD)                                                 \
  X(UNPICKED_RULE_INVALID, INVALID_FIELD)                                                     \
  X(LEADER_FUNDS, INSUFFICIENT_FUNDS)                                                         \
  X(LEADER_POINT_NEEDED, INVALID_FIELD)                                                       \
  X(CAMPAIGN_NOT_OPEN, INVALID_STATE)                                                         \
  X(PICKUP_CODE_NONE, NOT_FOUND)                                                              \
  X(MEMBER_POINTS_NO_CARD, RULE_VIOLATION)                                                    \
  X(MEMBER_POINTS_REDEEM_OFF, RULE_VIOLATION)                                                 \
  X(MEMBER_POINTS_OVER_BALANCE, RULE_VIOLATION)                                               \
  X(MEMBER_POINTS_OVER_CAP, RULE_VIOLATION)                                                   \
  X(MEMBER_POINTS_TOO_FEW, RULE_VIOLATION)                                                    \
  X(MEMBER_ADJUST_BELOW_ZERO, RULE_VIOLATION)                                                 \
  X(MEMBER_SKU_PRICE_NOT_BELOW, RULE_VIOLATION)                                               \
  X(MEMBER_TOO_MANY_SKU_PRICES, LIMIT_EXCEEDED)                                               \
  X(MEMBER_POS_PURCHASE_NOT_FOUND, NOT_FOUND)                                                 \
  X(MEMBER_POS_CODE_RATE_LIMITED, RATE_LIMITED)                                               \
  X(MEMBER_POS_NOT_OPEN, FORBIDDEN)                                                           \
  X(MEMBER_PUSH_NOT_FOUND, NOT_FOUND)                                                         \
  X(MEMBER_PUSH_AUDIENCE, INVALID_FIELD)                                                      \
  X(MEMBER_PUSH_TAGS_LATER, RULE_VIOLATION)                                                   \
  X(MEMBER_PUSH_TAG_UNKNOWN, INVALID_FIELD)                                                   \
  X(MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, LIMIT_EXCEEDED)                                       \
  X(MEMBER_POS_REFUND_TOO_MUCH, RULE_VIOLATION)                                               \
  X(MEMBER_PUSH_LEVEL_UNKNOWN, INVALID_FIELD)                                                 \
  X(MEMBER_PUSH_PRODUCT_NOT_FOUND, NOT_FOUND)                                                 \
  X(MEMBER_PUSH_COUPON_NOT_FOUND, NOT_FOUND)                                                  \
  X(MEMBER_INBOX_NOT_FOUND, NOT_FOUND)                                                        \
  /* live commerce: rooms, room products, comments, streams */ \
  X(LIVE_ROOM_NOT_FOUND, NOT_FOUND)                                                           \
  X(ROOM_NOT_LIVE, CONFLICT)                                                                  \
  X(LIVE_ROOM_STATE, INVALID_STATE)                                                           \
  X(LIVE_PRODUCT_NOT_IN_ROOM, NOT_FOUND)                                                      \
  X(LIVE_SOLD_OUT, OUT_OF_STOCK)                                                              \
  X(LIVE_HOST_NOT_STAFF, INVALID_FIELD)                                                       \
  X(LIVE_PRICE_ABOVE_LIST, INVALID_FIELD)                                                     \
  X(LIVE_PRODUCTS_RANGE, INVALID_FIELD)                                                       \
  X(LIVE_SKU_TWICE, INVALID_FIELD)                                                            \
  X(LIVE_NO_OTHER_ACTIVITY, INVALID_FIELD)                                                    \
  X(LIVE_COMMENT_RATE, RATE_LIMITED)                                                          \
  X(LIVE_URL_INVALID, INVALID_FIELD)                                                          \
  X(LIVE_TOO_MANY_STREAMS, RATE_LIMITED)                                                      \
  X(LIVE_SKU_NOT_FOUND, NOT_FOUND)                                                            \
  X(LIVE_MUTED, FORBIDDEN)                                                                    \
  X(LIVE_COMMENT_BLOCKED_WORD, RULE_VIOLATION)                                                \
  X(LIVE_COMMENT_NOT_FOUND, NOT_FOUND)                                                        \
  X(LIVE_BLOCKED_WORDS_RANGE, INVALID_FIELD)                                                  \
  /* (end of the list) */

enum class Msg : uint16_t {
#define XD_MSG_ENUM(key, code) key,
  XD_MESSAGES(XD_MSG_ENUM)
#undef XD_MSG_ENUM
};

// Every key, in table order (for tests and the OpenAPI document).
const std::vector<Msg>& AllMsgs();
// The key as the API spells it ("PHONE_TAKEN").
std::string_view MsgName(Msg m);
// The ErrorCode (and so the HTTP status) a key answers with.
ErrorCode MsgCode(Msg m);
// The generic key of a code: what a user sees for an Error without a reason.
Msg DefaultMsg(ErrorCode code);

// The languages messages are written in. zh is the default.
enum class Lang { kZh, kEn };
// The language an Accept-Language header prefers among zh and en, by q-value ("en;q=0.9,
// zh;q=0.8" → en); zh when it names neither (or is empty or malformed).
Lang ParseAcceptLanguage(std::string_view header);
std::string_view LangName(Lang lang);  // "zh" / "en"

// The template of `m` in `lang` ("每人限购 {limit} 件"); empty when the table lacks it.
std::string_view Template(Msg m, Lang lang);
// The label of a raw word (a field name such as "price_fen", a status such as "paid") in
// `lang`; nullopt when the label table lacks it. A field path ("items[2].quantity") is
// labelled by its last name.
std::optional<std::string_view> Label(std::string_view raw, Lang lang);

// Params quoting a field by its label ({field}) and a raw word by its label.
MsgParam Field(std::string raw_field);
// `ns` picks a namespace of the label table when a word means different things ("paid" of an
// order: "order.paid" 待发货); the param's value stays the raw word.
MsgParam Term(std::string name, std::string raw, std::string ns = "");
// An amount in fen, quoted in yuan.
MsgParam Fen(std::string name, int64_t fen);

// The Error of `m` (code from the table, reason `m`, message: its English rendering).
Error MakeError(Msg m, std::vector<MsgParam> params = {});
inline std::unexpected<Error> Fail(Msg m, std::vector<MsgParam> params = {}) {
  return std::unexpected<Error>(MakeError(m, std::move(params)));
}
// `e` as the error of line `i` (0-based) of a request's list: an "item" param, which the
// message names first ("第 3 项：…", "items[2]: …").
Error AtItemError(size_t i, Error e);
// What a user reads for `e` in `lang`: its reason's template with the params filled in (its
// code's generic message when it has no reason), after the line it concerns (an "item" param).
std::string Render(const Error& e, Lang lang);
// The key the API reports for `e`: its reason, or its code's generic key.
Msg ReasonOf(const Error& e);
// `{"error":{"code","reason","params","message"}}` for `e`, the message in `lang`: what the
// API answers (docs/api.md "Errors"). Params are the reason's, numbers as numbers, field
// names and status words raw (the message quotes their labels).
Json ErrorJson(const Error& e, Lang lang);

}  // namespace xd

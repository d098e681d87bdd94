// The product's limits, in one place: how many, how long, how much. Every layer reads them from
// here — the HTTP layer when it parses a request, the domain modules when they validate a
// command, the tests that probe the bounds — so a limit cannot drift between the route that
// checks it and the function that relies on it. Change a value here and the API changes with it
// (error messages are built from these values too).
//
// Not here: protocol and tuning constants that no user sees as a limit (webhook retry backoff,
// login backoff, statement cache sizes, JSON depth); they stay beside the code they tune.
//
// Lengths are in bytes of UTF-8 (a Chinese character is 3 bytes). Money is in fen.
//
//   ObjectReader r(body);
//   int64_t qty = r.Int("quantity", {.min = 1, .max = limits::kMaxLineQuantity});
#pragma once

#include <cstddef>
#include <cstdint>

namespace xd::limits {

// ---- orders and carts ----
inline constexpr int64_t kMaxLineQuantity = 999;  // units of one SKU in a cart line or an order
inline constexpr size_t kMaxOrderLines = 50;      // lines (or cart items) of one checkout or return
inline constexpr int64_t kMaxCartLines = 100;     // distinct SKUs in a buyer's cart
inline constexpr int64_t kMaxAddressesPerUser = 50;  // saved shipping addresses of one user
inline constexpr int64_t kMaxOrderWaitMs = 10'000;  // longest wait_ms of a long poll on an order

// ---- catalog ----
inline constexpr int64_t kMaxSkuPriceFen = 10'000'000'000;  // price of one unit: 1 亿元
inline constexpr int64_t kMaxSkuStock = 100'000'000;          // available units of one SKU
inline constexpr size_t kMaxSkusPerProduct = 100;             // SKUs of one product
inline constexpr int64_t kMaxSkuWeightG = 1'000'000;          // one unit's weight in grams (a tonne)
inline constexpr size_t kMaxProductImages = 20;               // image URLs of one product
inline constexpr size_t kMaxProductAttributes = 50;           // attribute keys of one product
inline constexpr size_t kMaxSkuSpecKeys = 10;                 // spec keys (颜色, 尺码…) of one SKU
inline constexpr size_t kMaxAttributeKeyLen = 60;             // a key of attributes or spec
inline constexpr size_t kMaxAttributeValueLen = 200;          // a value of attributes or spec
inline constexpr size_t kMaxProductTitleLen = 100;            // product title
inline constexpr size_t kMaxProductDescriptionLen = 5000;     // product description
inline constexpr size_t kMaxCategoryLen = 40;                 // product category (and a coupon's)
inline constexpr size_t kMaxSkuCodeLen = 64;                  // the merchant's own article number
inline constexpr size_t kMaxSearchQueryLen = 100;             // q of a product search
inline constexpr size_t kMaxUrlLen = 500;                     // image and webhook URLs

// ---- accounts and merchants ----
inline constexpr size_t kMaxPhoneLen = 20;        // a phone field as sent, before validation
inline constexpr size_t kMinAddressPhoneLen = 5;  // an address's contact phone (landlines too)
inline constexpr size_t kMinPasswordLen = 6;      // password
inline constexpr size_t kMaxPasswordLen = 64;     // password
inline constexpr size_t kMaxNicknameLen = 32;     // a user's nickname
inline constexpr size_t kMaxMerchantNameLen = 40;           // shop name
inline constexpr size_t kMaxMerchantDescriptionLen = 500;   // shop description
inline constexpr size_t kMaxAddressNameLen = 40;            // recipient name of an address
inline constexpr size_t kMaxAddressRegionLen = 100;         // 省 市 区 of an address
inline constexpr size_t kMaxAddressDetailLen = 200;         // street and number of an address
inline constexpr int64_t kMaxCommissionBps = 10'000;        // platform commission of a merchant
inline constexpr int64_t kMaxHoldDays = 365;                // settlement hold of a merchant
inline constexpr int64_t kMaxMerchantProducts = 10'000'000;  // a merchant's product quota
inline constexpr int64_t kMaxPendingInvitations = 50;       // staff invitations per merchant

// ---- after-sales, logistics, remarks ----
inline constexpr size_t kMaxRemarkLen = 200;      // reasons, tracking events, gift messages, notes
inline constexpr size_t kMaxCarrierLen = 40;      // carrier name (顺丰, 中通…)
inline constexpr size_t kMaxTrackingNoLen = 64;   // waybill number

// ---- promotions ----
inline constexpr int64_t kMaxActivityPriceFen = 100'000'000;  // group/flash/bargain/drop prices
inline constexpr int64_t kMaxFlashSaleStock = 1'000'000;      // units a flash sale may sell
inline constexpr int64_t kMinGroupSize = 2;                   // members a group buy needs
inline constexpr int64_t kMaxGroupSize = 100;                 // members a group buy needs
inline constexpr int64_t kMaxBargainHelps = 100;              // helps a bargain needs
inline constexpr int64_t kMinActivityTtlS = 60;               // life of a group or a bargain
inline constexpr int64_t kMaxActivityTtlS = 7 * 24 * 3600;    // life of a group or a bargain
inline constexpr size_t kMaxShareDropTiers = 10;              // tiers of a share-to-drop
inline constexpr int64_t kMaxShareDropOpens = 10'000;         // opens a tier may ask for
inline constexpr int64_t kMaxPercentOffBps = 9'999;           // a percent coupon or a drop tier
inline constexpr int64_t kMaxCouponAmountFen = 100'000'000;   // a coupon's amount off or cap
inline constexpr int64_t kMaxMinSpendFen = 1'000'000'000;     // a coupon's spending threshold
inline constexpr int64_t kMaxCouponQuota = 10'000'000;        // coupons of one template
inline constexpr int64_t kMaxCouponsPerUser = 100;            // of one template in one wallet
inline constexpr int64_t kMaxCouponValidDays = 365;           // validity after claiming
inline constexpr size_t kMaxCouponScopeSkus = 100;            // SKUs a coupon may name
inline constexpr size_t kMaxCouponTitleLen = 60;              // coupon title
inline constexpr int64_t kMaxDistributionBps = 5'000;         // a sharer's commission on a product
inline constexpr size_t kMaxChatGroupKeyLen = 64;             // a chat group's opaque key
inline constexpr int64_t kMaxNewSharesPerDay = 200;           // new links one sharer makes in 24 h
inline constexpr int64_t kMaxSharerWithdrawalFen = 10'000'000; // one withdrawal of earnings (¥100,000)
inline constexpr int64_t kMaxGiftParts = 20;                  // recipients of one gift
inline constexpr size_t kMaxRecommendationLen = 420;          // 140 Chinese characters

// ---- around every purchase: reviews, favourites, history (buyer/) ----
inline constexpr size_t kMaxReviewLen = 1'500;           // a review's text (500 Chinese characters)
inline constexpr size_t kMaxReviewReplyLen = 600;        // a merchant's reply to it
inline constexpr int64_t kMaxFavorites = 500;            // favourites of one kind per buyer
inline constexpr int64_t kMaxBrowsingHistory = 100;      // products kept in a buyer's history
inline constexpr int64_t kMaxSearchHistory = 20;         // texts kept in a buyer's search history
inline constexpr int64_t kPopularSearchDays = 7;         // popular searches look this far back
inline constexpr int64_t kPopularSearchMinBuyers = 2;    // distinct buyers before a text is shown
inline constexpr size_t kMaxCsMessageLen = 1'000;        // one customer-service message
inline constexpr int64_t kMaxCsMessagesPerThread = 2'000;  // messages of one buyer–shop thread

// ---- membership cards (会员卡) ----
inline constexpr size_t kMaxMemberLevels = 10;                // levels of one card programme
inline constexpr size_t kMaxMemberTitleLen = 60;              // a programme's title
inline constexpr size_t kMaxMemberLevelNameLen = 30;          // a level's name (金卡)
inline constexpr size_t kMaxMemberBenefitsLen = 600;          // a level's benefits text
inline constexpr int64_t kMaxMemberGrowth = 1'000'000'000;    // a level's growth threshold
inline constexpr int64_t kMaxMemberDiscountBps = 5'000;       // a level's discount (5折 at most)
inline constexpr int64_t kMaxPointsMultiplierBps = 100'000;   // a level's points multiplier (×10)
inline constexpr int64_t kMaxPointsPerYuan = 100;             // points a yuan earns at ×1
inline constexpr int64_t kMaxPointsValidityDays = 3'650;      // how long earned points last
inline constexpr int64_t kMaxMemberIssueLimit = 100'000'000;  // cards of one programme
inline constexpr int64_t kMaxMemberStores = 500;              // open stores (门店) of a merchant
inline constexpr int64_t kMaxRedeemPointsPerYuan = 100'000;   // points that take ¥1 off
inline constexpr int64_t kDefaultPushCapPerWeek = 2;          // pushes a member gets per 7 days
inline constexpr int64_t kMaxPushCapPerWeek = 4;              // the platform's maximum of that
inline constexpr int64_t kMaxReferralBonusPoints = 1'000'000; // a referrer's bonus per friend
inline constexpr int64_t kMaxPointsRedeemed = 1'000'000'000;  // points redeemed in one order
inline constexpr int64_t kMaxPointsAdjustment = 100'000'000;  // one manual adjustment, ±
inline constexpr size_t kMaxAdjustReasonLen = 200;            // its reason
inline constexpr size_t kMaxPushTextLen = 500;                // a push's text
inline constexpr int64_t kMaxPushTagMembers = 20'000;         // members a tag push looks at
inline constexpr size_t kMaxPosReceiptIdLen = 64;             // a POS receipt id
inline constexpr int64_t kMaxMemberSkuPrices = 2'000;       // SKUs with a member price
inline constexpr int64_t kMaxPosCodeFailures = 20;           // refused member codes per key per 10 min
inline constexpr size_t kMaxPosItems = 200;                   // lines of a POS receipt
inline constexpr int64_t kMaxPosAmountFen = 100'000'000;      // ¥1,000,000 per receipt
inline constexpr size_t kMaxStoreNameLen = 60;                // a store's name
inline constexpr size_t kMaxStoreAddressLen = 200;            // a store's address
inline constexpr size_t kMaxOpeningHoursLen = 100;            // a store's opening hours text

// ---- payments (admin) ----
inline constexpr int64_t kMaxCardIssueFen = 1'000'000'000;  // store credit issued at once
inline constexpr size_t kMaxCardReasonLen = 100;            // why the credit was issued

// ---- open platform ----
inline constexpr int64_t kMaxApiKeysPerMerchant = 20;        // live API keys of a ka merchant
inline constexpr size_t kMaxApiKeyNameLen = 60;              // an API key's name
inline constexpr int64_t kMaxWebhookEndpointsPerMerchant = 10;  // endpoints of one merchant
inline constexpr size_t kMaxSyncItems = 500;                 // items of one inventory sync

// ---- live commerce (issue 18; decision 024) ----
inline constexpr size_t kMaxLiveRoomProducts = 50;        // products of one live room
inline constexpr int64_t kMaxLiveStock = 1'000'000;        // live stock asked for one product
inline constexpr size_t kMaxLiveTitleLen = 60;            // a room's title
inline constexpr size_t kMaxLiveCommentLen = 150;         // a comment (弹幕): 50 Chinese characters
inline constexpr int64_t kMaxLikesPerTap = 50;            // likes one request adds (taps batched)
inline constexpr int64_t kLiveRecentOrders = 10;          // recent orders a stream snapshot carries
inline constexpr int64_t kLiveRecentComments = 20;        // recent comments a stream snapshot carries
inline constexpr size_t kMaxLiveBlockedWords = 200;       // a merchant's blocked words (comments)
inline constexpr size_t kMaxLiveBlockedWordLen = 30;      // one blocked word, bytes (10 Chinese characters)

// ---- media (uploaded photos) ----
inline constexpr size_t kMaxMediaBytes = 8 << 20;            // one uploaded image file (413 beyond)
inline constexpr size_t kMaxUploadBodyBytes = (8 << 20) + (64 << 10);  // its request, multipart framing included
inline constexpr int64_t kMaxImagePixels = 40'000'000;       // width x height read from the header, before decoding
inline constexpr int64_t kMaxImageSide = 16'000;             // either side, in pixels
inline constexpr int64_t kMaxMediaPerMerchant = 5'000;       // distinct images one merchant has uploaded
inline constexpr int64_t kMaxMediaPerUser = 500;             // distinct images one buyer has uploaded (review photos)
inline constexpr size_t kMaxReviewPhotos = 9;                // photos on one review
inline constexpr int64_t kCheckReviewsWithPhotos = 1'000;    // newest reviews with photos `xiaodian check` looks at (a lookup per photo)
inline constexpr size_t kMaxUploadsInFlight = 8;             // upload bodies held or decoding at once (503 beyond)
inline constexpr size_t kMaxMediaBytesServing = 64 << 20;    // image bytes held by GET /media answers being written

// ---- HTTP ----
inline constexpr int64_t kDefaultPageSize = 20;  // ?limit= when absent
inline constexpr int64_t kMaxPageSize = 100;     // largest ?limit=
inline constexpr size_t kMaxIdempotencyKeyLen = 64;         // Idempotency-Key header
inline constexpr size_t kMaxRequestBodyBytes = 1 << 20;     // 413 beyond (1 MiB)
inline constexpr size_t kMaxRequestHeaderBytes = 16 << 10;  // 431 beyond (16 KiB)

}  // namespace xd::limits

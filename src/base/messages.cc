// The zh and en templates of every catalogue key, and the labels of field names and status
// words, each language beside the other (base/messages.h says how they are used).
#include "base/messages.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <unordered_map>

namespace xd {

namespace {

struct Entry {
  Msg key;
  const char* zh;
  const char* en;
};

// Templates quote params as {name}. Write what the user can do about it where there is
// something to do; never a raw field name (quote {field}: the label table names it).
constexpr Entry kTemplates[] = {
    // generic, one per ErrorCode
    {Msg::BAD_REQUEST, "请求有误", "The request is malformed"},
    {Msg::INVALID_JSON, "请求内容不是有效的 JSON", "The request body is not valid JSON"},
    {Msg::INVALID_FIELD, "填写的内容有误", "A field has an invalid value"},
    {Msg::UNKNOWN_FIELD, "请求中有无法识别的内容",
     "The request has a field the server does not know"},
    {Msg::MISSING_FIELD, "缺少必填内容", "A required field is missing"},
    {Msg::UNAUTHENTICATED, "请先登录", "Please sign in first"},
    {Msg::INVALID_CREDENTIALS, "账号或密码错误", "Wrong credentials"},
    {Msg::FORBIDDEN, "没有权限进行此操作", "You are not allowed to do this"},
    {Msg::NOT_FOUND, "找不到要访问的内容", "Not found"},
    {Msg::METHOD_NOT_ALLOWED, "不支持此操作", "This method is not allowed here"},
    {Msg::GONE, "已不再提供", "This is no longer available"},
    {Msg::CONFLICT, "操作冲突，请刷新后重试",
     "The request conflicts with the current state; reload and retry"},
    {Msg::ALREADY_EXISTS, "已经存在", "It already exists"},
    {Msg::INVALID_STATE, "当前状态不能进行此操作", "This cannot be done in the current state"},
    {Msg::OUT_OF_STOCK, "库存不足", "Out of stock"},
    {Msg::IDEMPOTENCY_IN_USE, "相同的请求正在处理，请稍后再试",
     "The same request is being processed; try again shortly"},
    {Msg::IDEMPOTENCY_MISMATCH, "此幂等键已用于另一个请求",
     "This Idempotency-Key was used with a different request"},
    {Msg::PAYLOAD_TOO_LARGE, "提交的内容太大", "The request body is too large"},
    {Msg::UNSUPPORTED_MEDIA_TYPE, "不支持此文件格式", "This kind of file is not supported"},
    {Msg::RULE_VIOLATION, "不符合规则，无法操作", "This is not allowed by the rules"},
    {Msg::LIMIT_EXCEEDED, "超出限制", "A limit was exceeded"},
    {Msg::INSUFFICIENT_FUNDS, "余额不足", "Insufficient balance"},
    {Msg::INVALID_SIGNATURE, "签名校验失败", "The signature does not verify"},
    {Msg::INVALID_CODE, "码无效或已过期", "The code is invalid or expired"},
    {Msg::RATE_LIMITED, "请求过于频繁，请稍后再试", "Too many requests; try again later"},
    {Msg::LOCKED, "尝试次数过多，请稍后再试", "Too many attempts; try again later"},
    {Msg::INTERNAL, "服务器出错了，请稍后再试", "Internal error; try again later"},
    {Msg::UNAVAILABLE, "服务繁忙，请稍后再试", "The service is busy; try again shortly"},
    {Msg::ABORTED, "操作与其他请求冲突，请重试",
     "The operation conflicted with another one; retry"},
    // request decoding
    {Msg::JSON_TOO_DEEP, "请求内容嵌套太深", "The JSON is nested too deeply"},
    {Msg::JSON_NOT_OBJECT, "请求内容格式有误", "Expected a JSON object"},
    {Msg::BODY_REQUIRED, "请求内容不能为空", "A JSON body is required"},
    {Msg::CONTENT_TYPE_JSON, "请求格式应为 JSON", "Content-Type must be application/json"},
    {Msg::FIELD_REQUIRED, "请填写{field}", "{field} is required"},
    {Msg::FIELD_UNKNOWN, "请求中有无法识别的内容",
     "The request has a field the server does not know"},
    {Msg::FIELD_NOT_TEXT, "{field}应为文字", "{field} must be text"},
    {Msg::FIELD_LENGTH, "{field}应为 {min}–{max} 个字",
     "{field} must be {min} to {max} characters"},
    {Msg::FIELD_NOT_INTEGER, "{field}应为整数", "{field} must be a whole number"},
    {Msg::FIELD_RANGE, "{field}应在 {min} 到 {max} 之间",
     "{field} must be between {min} and {max}"},
    {Msg::FIELD_TOO_SMALL, "{field}不能小于 {min}", "{field} must be at least {min}"},
    {Msg::FIELD_TOO_LARGE, "{field}不能大于 {max}", "{field} must be at most {max}"},
    {Msg::FIELD_NOT_BOOL, "{field}应为是或否", "{field} must be true or false"},
    {Msg::FIELD_NOT_ID, "{field}不是有效的编号", "{field} must be an id"},
    {Msg::FIELD_NOT_TIME, "{field}不是有效的时间", "{field} must be a time (RFC 3339, UTC)"},
    {Msg::FIELD_NOT_OBJECT, "{field}格式有误", "{field} must be an object"},
    {Msg::FIELD_NOT_ARRAY, "{field}应为列表", "{field} must be a list"},
    {Msg::FIELD_TOO_MANY, "{field}最多 {max} 项", "{field} has at most {max} items"},
    {Msg::FIELD_NOT_ALLOWED, "此处不能填写{field}", "{field} is not allowed here"},
    {Msg::FIELD_INVALID, "{field}填写有误", "{field} is invalid"},
    {Msg::FIELD_ONE_OF, "{field}的取值无效", "{field} has a value that is not allowed"},
    {Msg::FIELD_EMPTY, "{field}不能为空", "{field} must not be empty"},
    {Msg::FIELD_DUPLICATES, "{field}有重复项", "{field} has duplicates"},
    {Msg::PATH_ID_INVALID, "找不到要访问的内容（编号无效）",
     "Not found (the id in the path is not valid)"},
    {Msg::PAGE_LIMIT_RANGE, "每页条数应为 1–{max}", "limit must be 1 to {max}"},
    {Msg::CURSOR_INVALID, "翻页位置无效，请从头加载",
     "The cursor is malformed; load from the start"},
    {Msg::ROUTE_NOT_FOUND, "接口不存在", "No such route"},
    {Msg::HEADERS_TOO_LARGE, "请求头太大", "The request headers are too large"},
    {Msg::MALFORMED_HTTP, "请求格式有误", "Malformed HTTP request"},
    {Msg::TRANSFER_ENCODING_UNSUPPORTED, "不支持此传输编码",
     "This Transfer-Encoding is not supported (only chunked)"},
    {Msg::ADDRESS_RATE_LIMITED, "请求过于频繁，请稍后再试",
     "Too many requests from this address; try again later"},
    {Msg::AMOUNT_OVERFLOW, "金额超出范围", "The amount is out of range"},
    // idempotency
    {Msg::IDEMPOTENCY_RETRY, "请重试", "The Idempotency-Key changed hands; retry"},
    {Msg::IDEMPOTENCY_KEY_TOO_LONG, "幂等键最多 {max} 个字符",
     "The Idempotency-Key is at most {max} characters"},
    // the store
    {Msg::DATA_CONFLICT, "数据已被修改，请刷新后重试",
     "The data changed meanwhile; reload and retry"},
    {Msg::STORE_BUSY, "数据库繁忙，请稍后重试", "The database is busy; try again shortly"},
    {Msg::STORE_UNAVAILABLE, "数据库暂时不可用，请稍后重试",
     "The database is unavailable; try again shortly"},
    {Msg::STORE_FULL, "存储空间已满，暂停写入", "Storage is full; writes are paused"},
    {Msg::STORE_OUTCOME_UNKNOWN, "连接中断，操作结果未知，请先查看结果再决定是否重试",
     "The connection broke while the change was committing; its outcome is unknown: check before retrying"},
    {Msg::STORE_READ_ONLY, "服务暂时只读，请稍后再试",
     "The store is not writable right now; try again later"},
    // signing in, sessions, API keys
    {Msg::WRONG_PASSWORD, "手机号或密码错误", "Wrong phone number or password"},
    {Msg::LOGIN_LOCKED, "登录失败次数过多，请稍后再试",
     "Too many failed sign-ins from here; try again later"},
    {Msg::TOO_MANY_REQUESTS_HERE, "请求过于频繁，请稍后再试",
     "Too many requests from here; try again later"},
    {Msg::ACCOUNT_RATE_LIMITED, "操作过于频繁，请稍后再试",
     "Too many requests for this account; slow down"},
    {Msg::SERVER_BUSY, "服务繁忙，请稍后再试", "The server is busy; try again shortly"},
    {Msg::SIGN_IN_REQUIRED, "请先登录", "Please sign in first"},
    {Msg::SESSION_INVALID, "登录已失效，请重新登录",
     "Your session is invalid or has expired; sign in again"},
    {Msg::CREDENTIALS_CHANGED, "登录状态已变化，请重试", "Your credentials changed; try again"},
    {Msg::ADMIN_ONLY, "仅限平台管理员操作", "Platform admins only"},
    {Msg::API_KEYS_DISABLED, "此服务器未启用 API 密钥", "API keys are not enabled on this server"},
    {Msg::API_KEY_NOT_ACCEPTED, "此接口不接受 API 密钥，请以店员身份登录",
     "This route does not accept API keys (sign in as staff)"},
    {Msg::API_KEY_SCOPE_MISSING, "此 API 密钥没有 {scope} 权限",
     "This API key lacks the scope {scope}"},
    {Msg::API_KEY_OTHER_MERCHANT, "API 密钥只能操作它所属的店铺",
     "An API key acts only for its own shop"},
    {Msg::API_KEY_NOT_USER, "API 密钥只能调用其权限范围内的店铺接口",
     "API keys act only on shop routes of their scopes, never as a user or admin"},
    {Msg::API_KEY_RATE_LIMITED, "此 API 密钥请求过于频繁，请放慢速度",
     "Too many requests for this API key; slow down"},
    {Msg::API_KEY_MALFORMED, "API 密钥格式有误", "Malformed API key"},
    {Msg::API_KEY_UNKNOWN, "API 密钥无效", "Unknown API key"},
    {Msg::API_KEY_REVOKED, "此 API 密钥已被吊销", "This API key was revoked"},
    {Msg::MERCHANT_HEADER_INVALID, "店铺编号无效", "X-Merchant-Id must be an id"},
    {Msg::MERCHANT_HEADER_REQUIRED, "你是多家店铺的店员，请先选择店铺",
     "You are staff of several shops: send X-Merchant-Id"},
    {Msg::NOT_STAFF_ANY, "你还不是任何店铺的店员", "You are not staff of any shop"},
    // accounts, shops, staff, friends, addresses
    {Msg::PHONE_INVALID, "请输入 11 位手机号", "Enter an 11-digit mobile number"},
    {Msg::PASSWORD_LENGTH, "密码应为 {min}–{max} 位",
     "The password must be {min} to {max} characters"},
    {Msg::NICKNAME_REQUIRED, "请填写昵称", "Enter a nickname"},
    {Msg::NICKNAME_TOO_LONG, "昵称太长（最多 {max} 字节）", "The nickname is at most {max} bytes"},
    {Msg::PHONE_TAKEN, "该手机号已注册", "This phone number is already registered"},
    {Msg::USER_NOT_FOUND, "用户不存在", "User not found"},
    {Msg::ADMIN_ONLY_OWNER, "只有平台管理员可以指定其他店主",
     "Only a platform admin may name another owner"},
    {Msg::MERCHANT_KIND_INVALID, "店铺类型只能是个人店、自营店或品牌店",
     "The shop kind must be c2c, b2c or ka"},
    {Msg::MERCHANT_NAME_LENGTH, "店铺名称应为 1–{max} 字节",
     "The shop name must be 1 to {max} bytes"},
    {Msg::C2C_SHOP_EXISTS, "该用户已有一家个人店", "This user already has a personal (c2c) shop"},
    {Msg::MERCHANT_NOT_PENDING, "店铺当前为{status}，不是待审核",
     "The shop is {status}, not pending"},
    {Msg::ADMIN_ONLY_MERCHANT_RULES, "只有平台管理员可以修改店铺的状态、费率或限额",
     "Only a platform admin may change a shop's status, rates or limits"},
    {Msg::MERCHANT_STATUS_INVALID, "店铺状态只能是营业中、已暂停或已拒绝",
     "The status must be active, suspended or rejected"},
    {Msg::MERCHANT_PROFILE_LENGTH,
     "店铺名称应为 1–{name_max} 字节，简介最多 {description_max} 字节",
     "The shop name must be 1 to {name_max} bytes and the description at most {description_max}"},
    {Msg::MERCHANT_SETTINGS_RANGE,
     "费率和限额不能为负数（佣金率最高 {commission_max_percent}%，结算周期最长 {hold_days_max} "
     "天，商品最多 {products_max} 个）",
     "Rates and limits must not be negative (commission at most {commission_max_percent}%, hold at "
     "most "
     "{hold_days_max} days, at most {products_max} products)"},
    {Msg::MERCHANT_KIND_UNKNOWN, "没有这种店铺类型", "Unknown shop kind"},
    {Msg::MERCHANT_NOT_FOUND, "店铺不存在", "Shop not found"},
    {Msg::MERCHANT_NOT_ACTIVE, "店铺未在营业", "The shop is not active"},
    {Msg::NOT_STAFF, "你不是该店铺的店员", "You are not staff of this shop"},
    {Msg::ROLE_NOT_ALLOWED, "你的角色（{role}）无权进行此操作",
     "Your role ({role}) may not do this"},
    {Msg::MERCHANT_READ_ONLY, "店铺{status}，只能查看",
     "The shop is {status}; only reads are allowed"},
    {Msg::STAFF_ROLE_INVALID, "店员角色只能是运营或客服", "The role must be operator or support"},
    {Msg::INVITATION_NOT_FOUND, "邀请不存在", "Invitation not found"},
    {Msg::ONE_OWNER, "一个店铺只有一位店主", "A shop has exactly one owner"},
    {Msg::OWNER_ALREADY_STAFF, "不能邀请店主本人", "The owner is already staff"},
    {Msg::ALREADY_STAFF_ROLE, "已是该角色的店员", "Already staff with this role"},
    {Msg::TOO_MANY_INVITATIONS, "待处理的邀请过多（最多 {max} 个）",
     "At most {max} pending invitations"},
    {Msg::STAFF_NOT_FOUND, "没有这位店员（店主不能被移除）",
     "No such staff member (the owner cannot be removed)"},
    {Msg::BEFRIEND_SELF, "不能添加自己为好友", "You cannot befriend yourself"},
    {Msg::ALREADY_FRIENDS, "你们已经是好友了", "You are already friends"},
    {Msg::FRIEND_REQUEST_NOT_FOUND, "好友申请不存在", "Friend request not found"},
    {Msg::FRIEND_REQUEST_ANSWERED, "该好友申请已处理", "The request was already accepted"},
    {Msg::NOT_FRIENDS, "你们还不是好友", "You are not friends"},
    {Msg::TOO_MANY_ADDRESSES, "最多保存 {max} 个收货地址", "At most {max} addresses"},
    {Msg::ADDRESS_NOT_FOUND, "收货地址不存在", "Address not found"},
    // open platform
    {Msg::OPEN_KA_ONLY, "开放平台（API 密钥、Webhook）仅对品牌商家开放，本店是{kind}",
     "The open platform (API keys, webhooks) is for ka merchants; this shop is {kind}"},
    {Msg::WEBHOOK_URL_TOO_LONG, "网址太长（最多 {max} 字节）", "The URL is at most {max} bytes"},
    {Msg::WEBHOOK_URL_CHARS, "网址不能包含空格、控制字符或反斜杠",
     "The URL must not contain spaces, control characters or backslashes"},
    {Msg::WEBHOOK_HTTPS_UNSUPPORTED, "暂不支持 https:// 网址，请在 TLS 代理后使用 http://",
     "https:// is not supported by this build; use http:// behind your TLS proxy"},
    {Msg::WEBHOOK_URL_SCHEME, "网址必须以 http:// 开头", "The URL must start with http://"},
    {Msg::WEBHOOK_URL_FRAGMENT, "网址不能带 # 片段", "The URL must not have a #fragment"},
    {Msg::WEBHOOK_URL_CREDENTIALS, "网址不能包含用户名和密码",
     "The URL must not contain credentials (user:password@)"},
    {Msg::WEBHOOK_URL_IPV6, "暂不支持 IPv6 地址",
     "IPv6 literals are not supported in webhook URLs"},
    {Msg::WEBHOOK_URL_PORT, "端口应为 1–65535", "The URL's port must be 1 to 65535"},
    {Msg::WEBHOOK_URL_HOST, "网址缺少主机名", "The URL must name a host"},
    {Msg::WEBHOOK_URL_HOST_CHARS, "主机名只能包含字母、数字、点和连字符",
     "The host may contain only letters, digits, dots and hyphens"},
    {Msg::WEBHOOK_URL_HOST_FORM, "主机名既不是域名也不是 IPv4 地址",
     "The host is neither a name nor a dotted IPv4 address"},
    {Msg::WEBHOOK_URL_PRIVATE, "网址不能指向本机、内网或链路本地地址",
     "The URL must not point at a loopback, private or link-local address"},
    // promotions
    {Msg::PER_USER_LIMIT, "每人限购 {limit} 件，你已购买 {held} 件",
     "Limit {limit} per person; you already hold {held}"},
    {Msg::FLASH_SOLD_OUT, "已抢光", "The flash sale is sold out"},
    {Msg::FLASH_NEEDS_TIMES, "秒杀需要填写开始和结束时间",
     "A flash sale needs a start and an end time"},
    {Msg::ACTIVITY_PRICE_NOT_BELOW, "活动价须低于商品原价 ¥{sku_price}",
     "The price must be below the SKU's price of ¥{sku_price}"},
    // open platform: keys, inventory, webhooks
    {Msg::SCOPE_UNKNOWN, "没有“{scope}”这项权限",
     "Unknown scope {scope} (see GET /api/v1/open/meta)"},
    {Msg::TOO_MANY_API_KEYS, "每个店铺最多 {max} 个有效的 API 密钥，请先吊销一个",
     "At most {max} live API keys per shop; revoke one first"},
    {Msg::API_KEY_NOT_FOUND, "API 密钥不存在", "API key not found"},
    {Msg::INVENTORY_ITEM_SKU, "请用商品规格编号或商家编码（二选一）指定商品",
     "Name a SKU by sku_id or by code (one of them)"},
    {Msg::INVENTORY_ITEM_EMPTY, "没有要修改的库存或价格",
     "This line changes nothing (send stock and/or price_fen)"},
    {Msg::SKU_NOT_FOUND, "商品规格不存在", "SKU not found"},
    {Msg::SKU_TWICE, "同一商品规格出现了两次", "The same SKU appears twice"},
    {Msg::EVENT_TYPE_UNKNOWN, "没有“{event_type}”这种事件类型",
     "Unknown event type {event_type} (see GET /api/v1/open/meta)"},
    {Msg::NOTHING_TO_CHANGE, "没有要修改的内容", "Nothing to change"},
    {Msg::WEBHOOK_NOT_FOUND, "Webhook 地址不存在", "Webhook endpoint not found"},
    {Msg::WEBHOOK_URL_AND_EVENTS_REQUIRED, "请填写网址和事件类型",
     "url and event_types are required"},
    {Msg::TOO_MANY_WEBHOOKS, "每个店铺最多 {max} 个 Webhook 地址",
     "At most {max} webhook endpoints per shop"},
    {Msg::DELIVERY_NOT_FOUND, "推送记录不存在", "Delivery not found"},
    {Msg::DELIVERY_ENDPOINT_DELETED, "这条推送的 Webhook 地址已删除",
     "The endpoint of this delivery was deleted"},
    {Msg::SIGNATURE_HEADER_MALFORMED, "签名头格式有误",
     "The signature header must be t=<unix seconds>,v1=<hex>"},
    {Msg::SIGNATURE_STALE, "签名时间超出 5 分钟容差（重放或时钟偏差）",
     "The signature timestamp is outside the 5-minute tolerance (replayed or clock skew)"},
    {Msg::SIGNATURE_MISMATCH, "签名不匹配", "The signature does not match"},
    // catalog
    {Msg::FIELD_VALUES_SHORT_TEXT, "{field}的每一项都应为简短文字",
     "{field} values must be short strings"},
    {Msg::IMAGES_INVALID, "商品图片最多 {max} 张", "images must be a list of at most {max} URLs"},
    {Msg::IMAGE_URL_INVALID, "图片网址须以 https://、http:// 或 / 开头",
     "Image URLs must start with https://, http:// or /"},
    {Msg::PRODUCT_STATUS_INVALID, "商品状态只能是草稿、在售或已下架",
     "status must be draft, on_sale or off_sale"},
    {Msg::PRODUCT_NEEDS_SKU, "商品至少需要一个规格", "A product needs at least one SKU"},
    {Msg::SKU_SPEC_DUPLICATE, "有两个规格完全相同", "Two SKUs have the same spec"},
    {Msg::PRODUCT_LIMIT, "商品数量已达上限（{max} 个）", "Product limit reached ({max})"},
    {Msg::PRODUCT_TAKEN_DOWN, "该商品已被平台下架", "This product was taken down by the platform"},
    {Msg::SKU_PRICE_STOCK_RANGE, "价格应为 ¥0.01–¥{price_max}，库存应为 0–{stock_max}",
     "The price must be ¥0.01 to ¥{price_max} and the stock 0 to {stock_max}"},
    {Msg::PRODUCT_NOT_FOUND, "商品不存在", "Product not found"},
    {Msg::SKU_CODE_NOT_FOUND, "没有商家编码为 {code} 的商品规格", "No SKU has the code {code}"},
    {Msg::SKU_CODE_AMBIGUOUS, "有多个商品规格的商家编码是 {code}，请改用规格编号",
     "Several SKUs have the code {code}; use sku_id"},
    {Msg::NOT_ENOUGH_STOCK, "库存不足", "Not enough stock"},
    // media (uploaded photos)
    {Msg::MEDIA_TOO_LARGE, "图片不能超过 {max_mb} MB", "An image may be at most {max_mb} MB"},
    {Msg::MEDIA_NOT_IMAGE, "只能上传 JPEG、PNG 或 WebP 格式的图片",
     "Only JPEG, PNG and WebP images can be uploaded"},
    {Msg::IMAGE_TOO_MANY_PIXELS, "图片尺寸太大（{width}×{height}），最多 {max_megapixels} 百万像素、每边 {max_side} 像素",
     "The image is too large ({width}×{height}); at most {max_megapixels} megapixels and {max_side} pixels a side"},
    {Msg::IMAGE_UNREADABLE, "图片已损坏或无法读取，请换一张", "The image is damaged or cannot be read; try another"},
    {Msg::MEDIA_QUOTA, "店铺图片已达上限 {max} 张", "The shop already has the most images allowed ({max})"},
    {Msg::MEDIA_FILE_MISSING, "请选择要上传的图片", "Choose an image to upload"},
    {Msg::MULTIPART_MALFORMED, "上传的内容格式有误", "The upload is not valid multipart/form-data"},
    {Msg::MEDIA_NOT_FOUND, "图片不存在", "No such image"},
    {Msg::UPLOADS_BUSY, "上传的人太多了，请稍后再试", "Too many uploads at once; try again shortly"},
    {Msg::USER_MEDIA_QUOTA, "你上传的图片已达上限 {max} 张", "You have uploaded the most images allowed ({max})"},
    // freight templates and regions
    {Msg::REGION_CODES_INVALID, "所在地区有误，请重新选择省、市、区",
     "The province, city and district codes do not name one known region; pick them again"},
    {Msg::REGION_CODE_UNKNOWN, "没有这个地区：{code}", "No such region: {code}"},
    {Msg::UNDELIVERABLE, "「{item}」不能配送到{region}", "{item} cannot be delivered to {region}"},
    {Msg::ADDRESS_REGION_NEEDED, "「{item}」按地区计算运费，请从列表中选择收货地区",
     "Shipping for {item} depends on the region: pick the address's region from the list"},
    {Msg::FREIGHT_TEMPLATE_NOT_FOUND, "运费模板不存在", "Freight template not found"},
    {Msg::FREIGHT_TEMPLATES_LIMIT, "运费模板最多 {max} 个", "A shop may have at most {max} freight templates"},
    {Msg::FREIGHT_RULES_RANGE, "运费规则须有 1 到 {max} 条", "A template needs 1 to {max} rules"},
    {Msg::FREIGHT_ONE_DEFAULT_RULE, "须有且只有一条不限地区的默认运费规则",
     "Exactly one rule must have no regions (the default for every other region)"},
    {Msg::FREIGHT_REGION_TWICE, "地区 {code} 出现在多条运费规则中", "Region {code} is in more than one rule"},
    {Msg::FREIGHT_MODE_INVALID, "计费方式只能是按件或按重量", "mode must be unit or weight"},
    // sharing, chat groups, gifts
    {Msg::FIELD_NEEDED, "还需要填写{field}", "{field} is required here"},
    {Msg::SHARE_NOT_FOUND, "分享链接不存在", "Share link not found"},
    {Msg::SHARE_TARGET_ALONE, "已指定分享对象，不能再填写商品或活动",
     "target names the target alone (no product_id or activity_id beside it)"},
    {Msg::SHARE_TARGET_REQUIRED, "请指定要分享的对象",
     "target is required (or product_id / activity_id)"},
    {Msg::SHARE_DAILY_LIMIT, "今天分享的链接太多了，请明天再试（每天最多 {max} 个）",
     "Too many new share links today (at most {max} a day); try again tomorrow"},
    {Msg::SHARE_CODE_COLLISION, "生成分享链接时冲突，请重试",
     "Share link code collision; try again"},
    {Msg::COMMISSION_BPS_RANGE, "分销佣金率应为 0%–{max_percent}%",
     "The commission rate must be 0% to {max_percent}%"},
    {Msg::CHAT_GROUP_NOT_FOUND, "群聊不存在", "Chat group not found"},
    {Msg::GIFT_NOT_FOUND, "礼物不存在", "Gift not found"},
    {Msg::QR_TEXT_LENGTH, "二维码内容长度应为 1–{max} 字节",
     "The QR text must be 1 to {max} bytes"},
    // membership cards
    {Msg::ISSUE_LIMIT_RANGE, "{field}应为 1–{max} 的整数，不限请留空",
     "{field} must be a whole number from 1 to {max}, or null for no limit"},
    {Msg::FIELD_NOT_DEGREES, "{field}应为数字（单位：度）", "{field} must be a number of degrees"},
    {Msg::FIELD_DEGREES_RANGE, "{field}应在 ±{max} 度之间",
     "{field} must be within ±{max} degrees"},
    // trade: cart, checkout, orders, after-sales
    {Msg::ORDER_LINES_RANGE, "每笔订单应有 1–{max} 行商品",
     "items must be a list of 1 to {max} lines"},
    {Msg::CHECKOUT_ITEMS_OR_CART, "请选择要结算的商品", "Send either items or cart_item_ids"},
    {Msg::CART_ITEM_IDS_RANGE, "请选择 1–{max} 件购物车商品",
     "cart_item_ids must be a list of 1 to {max} ids"},
    {Msg::COUPON_IDS_RANGE, "每笔订单最多使用 {max} 张优惠券",
     "coupon_ids must be a list of at most {max} ids"},
    {Msg::ADDRESS_REQUIRED, "请填写收货地址", "address or address_id is required"},
    {Msg::CARD_NEEDS_ONE_SHOP, "购物卡只能用于单个店铺的结算，请分别支付各店铺的订单",
     "Store credit at checkout needs a checkout from one shop; pay each order with store credit "
     "instead"},
    {Msg::CART_ITEM_NOT_FOUND, "购物车中没有这件商品", "Cart item not found"},
    {Msg::LINE_QUANTITY_LIMIT, "同一规格每单最多购买 {max} 件",
     "At most {max} of one SKU per order"},
    {Msg::ORDER_TOTAL_LIMIT, "订单金额超过本店单笔上限 ¥{max}",
     "The order total exceeds this shop's limit of ¥{max}"},
    {Msg::QUANTITY_RANGE, "数量应为 1–{max}", "The quantity must be 1 to {max}"},
    {Msg::CART_FULL, "购物车最多放 {max} 种商品", "The cart holds at most {max} lines"},
    {Msg::ORDER_NOT_FOUND, "订单不存在", "Order not found"},
    {Msg::ORDER_CANNOT_MOVE, "订单状态不能从“{from}”变为“{to}”",
     "The order cannot go from {from} to {to}"},
    {Msg::ORDER_WAITING, "订单正在{waiting}，暂时不能操作", "The order is waiting ({waiting})"},
    {Msg::ORDER_CHANGED, "订单状态已变化，请刷新后重试",
     "The order changed status; reload and retry"},
    {Msg::ORDER_NOT_CANCELLABLE, "只有待付款的订单可以取消（当前：{status}）",
     "Only unpaid orders can be cancelled (the order is {status})"},
    {Msg::ORDER_NOT_PAYABLE, "订单当前为“{status}”，不能付款",
     "The order is {status}, not awaiting payment"},
    {Msg::NOTIFICATION_EVENT_UNKNOWN, "未知的支付通知类型", "Unknown notification event"},
    {Msg::NOTIFICATION_UNCONFIRMED, "支付机构的记录与此通知不符",
     "The provider's records do not confirm this notification"},
    {Msg::REFUND_NUMBER_INVALID, "退款单号无效", "Bad refund number"},
    {Msg::ORDER_NOT_CONFIRMABLE, "只有已发货或已送达的订单可以确认收货（当前：{status}）",
     "Only shipped or delivered orders can be confirmed (the order is {status})"},
    {Msg::ORDER_NOT_SHIPPABLE, "只有待发货的订单可以发货（当前：{status}）",
     "Only paid orders can be shipped (the order is {status})"},
    {Msg::ORDER_NOT_WAITING, "订单不在等待中（{waiting}）", "The order is not waiting ({waiting})"},
    {Msg::ORDER_NOT_REFUNDABLE_UNSHIPPED, "只有已付款、未完成的订单可以这样退款",
     "Only paid orders that are not finished can be refunded this way"},
    {Msg::AFTERSALE_CANNOT_MOVE, "售后单状态不能从“{from}”变为“{to}”",
     "The after-sales request cannot go from {from} to {to}"},
    {Msg::AFTERSALE_CHANGED, "售后单状态已变化，请刷新后重试",
     "The after-sales request changed status; reload and retry"},
    {Msg::AFTERSALE_NOT_FOUND, "售后单不存在", "After-sales request not found"},
    {Msg::AFTERSALE_TYPE_INVALID, "售后类型只能是仅退款或退货退款",
     "type must be refund_only or return_refund"},
    {Msg::REFUND_ONLY_NO_ITEMS, "仅退款无需填写退货商品",
     "A refund-only request names no items to return"},
    {Msg::AFTERSALE_ORDER_STATE, "订单当前为“{status}”，不能申请售后",
     "After-sales is open for paid, shipped or delivered orders (the order is {status})"},
    {Msg::NOTHING_TO_RETURN, "订单尚未发货，无需退货",
     "Nothing to return: the order has not shipped"},
    {Msg::REFUND_AMOUNT_RANGE, "退款金额应为 ¥0.01–¥{max}",
     "The refund amount must be ¥0.01 to ¥{max}"},
    {Msg::RETURN_ITEM_NOT_IN_ORDER, "退货商品不在此订单中", "A returned SKU is not in this order"},
    {Msg::RETURN_QUANTITY_LIMIT, "该商品最多可退 {max} 件",
     "At most {max} of this SKU can be returned"},
    {Msg::NOTHING_LEFT_TO_RETURN, "没有可退的商品：已全部退回或正在退回",
     "Nothing left to return: everything was returned or is on its way back"},
    {Msg::AFTERSALE_NOT_PENDING, "售后单当前为“{status}”，不是待处理",
     "The request is {status}, not pending"},
    {Msg::RETURN_SHIPMENT_REQUIRED,
     "请填写快递公司（最多 {carrier_max} 字节）和快递单号（最多 {tracking_no_max} 字节）",
     "carrier (1 to {carrier_max} bytes) and tracking_no (1 to {tracking_no_max}) are required"},
    {Msg::AFTERSALE_NOT_RETURNING, "售后单当前为“{status}”，商品不在退回途中",
     "The request is {status}; the goods are not on their way back"},
    // payments, ledger, the sandbox provider
    {Msg::PAYMENT_NOT_FOUND, "支付单不存在", "Payment not found"},
    {Msg::CARD_AMOUNT_RANGE, "购物卡支付金额应在 0 到订单总额之间",
     "card_fen must be between 0 and the order total"},
    {Msg::CARD_BALANCE_LOW, "购物卡余额不足（余额 ¥{balance}）",
     "Not enough store credit (balance ¥{balance})"},
    {Msg::NO_PAYMENT_TO_REFUND, "该订单没有可退款的支付",
     "The order has no successful payment to refund"},
    {Msg::REFUND_EXCEEDS_PAID, "退款金额超过实付金额", "The refund exceeds what was paid"},
    {Msg::REFUND_NOT_FOUND, "退款单不存在", "Refund not found"},
    {Msg::STATUS_CANNOT_MOVE, "{kind}状态不能从“{from}”变为“{to}”",
     "The {kind} status {from} cannot become {to}"},
    {Msg::STATUS_CHANGED, "{kind}状态已变化，请刷新后重试",
     "The {kind} changed status; reload and retry"},
    {Msg::AMOUNT_RANGE, "金额应为 ¥0.01–¥{max}", "The amount must be ¥0.01 to ¥{max}"},
    {Msg::AMOUNT_NOT_POSITIVE, "金额必须大于 0", "The amount must be positive"},
    {Msg::WITHDRAWABLE_LOW, "可提现余额不足（可提现 ¥{available}）",
     "Not enough withdrawable balance (¥{available})"},
    {Msg::PROVIDER_PAYMENT_NOT_FOUND, "支付机构没有这笔支付", "No such payment at the provider"},
    {Msg::PROVIDER_PAYMENT_DONE, "这笔支付已处理（{status}）", "This payment is already {status}"},
    {Msg::PROVIDER_TXN_NOT_FOUND, "支付机构没有这笔交易", "No such transaction at the provider"},
    {Msg::NOTIFICATION_SIGNATURE_BAD, "支付通知签名校验失败",
     "The notification signature does not verify"},
    {Msg::NOTIFICATION_STALE, "支付通知已过期（重放窗口 10 分钟）",
     "Stale notification (the replay window is 10 minutes)"},
    {Msg::PAYMENT_NO_PROVIDER_STEP, "这笔支付无需再去支付机构付款",
     "This payment needs no provider step"},
    {Msg::PAYMENT_NOT_PENDING, "这笔支付当前为“{status}”，不是待支付",
     "This payment is {status}, not pending"},
    // promotions: activities, group buys, bargains, coupons, gifts, share-drop, chat groups
    {Msg::ACTIVITY_ID_REQUIRED, "请指定活动", "activity.id is required"},
    {Msg::ACTIVITY_GROUP_OR_BARGAIN, "拼团和砍价只能二选一",
     "activity takes group_id or bargain_id, not both"},
    {Msg::ACTIVITY_NOT_FOUND, "活动不存在", "Activity not found"},
    {Msg::ACTIVITY_STOPPED, "活动已停止", "The activity was stopped"},
    {Msg::ACTIVITY_NOT_STARTED, "活动还未开始", "The activity has not started yet"},
    {Msg::ACTIVITY_ENDED, "活动已结束", "The activity has ended"},
    {Msg::ACTIVITY_TYPE_UNKNOWN, "不支持这种活动类型", "Unknown activity type"},
    {Msg::ENDS_BEFORE_STARTS, "结束时间须晚于开始时间", "ends_at must be after starts_at"},
    {Msg::ENDS_IN_PAST, "结束时间已经过去", "ends_at is in the past"},
    {Msg::BARGAIN_HELPS_RANGE, "帮砍人数应为 1–10000", "helps must be 1 to 10000"},
    {Msg::BARGAIN_CUT_TOO_SMALL, "可砍金额小于帮砍人数",
     "The amount to cut is smaller than the number of helps"},
    {Msg::BARGAIN_NOT_FOUND, "砍价不存在", "Bargain not found"},
    {Msg::BARGAIN_ID_REQUIRED, "请先发起砍价",
     "activity.bargain_id is required to buy a bargain (start one with POST /api/v1/bargains)"},
    {Msg::BARGAIN_OVER, "砍价已结束", "The bargain is over"},
    {Msg::BARGAIN_EXPIRED, "砍价已过期", "The bargain has expired"},
    {Msg::BARGAIN_ONE_UNIT, "砍价商品每次只能购买 1 件", "A bargain buys exactly one unit"},
    {Msg::BARGAIN_NOT_ACTIVE, "砍价已不再进行", "The bargain is no longer active"},
    {Msg::FLOOR_NOT_BELOW, "底价须低于商品原价 ¥{sku_price}",
     "The floor price must be below the SKU's price of ¥{sku_price}"},
    {Msg::FLOOR_TOO_CLOSE, "原价与底价之差（¥{gap}）须不少于帮砍人数（每人至少砍 ¥0.01）",
     "The price minus the floor (¥{gap}) must be at least helps_needed: every help cuts at least "
     "¥0.01"},
    {Msg::ACTIVITY_NOT_BARGAIN, "这个活动不是砍价活动", "This activity is not a bargain"},
    {Msg::BARGAIN_PRICE_CHANGED, "商品价格已变，无法继续砍价",
     "The SKU's price no longer leaves ¥0.01 per help above the floor"},
    {Msg::BARGAIN_RUNNING, "你在这个活动中已有进行中的砍价",
     "You already have a running bargain in this activity"},
    {Msg::BARGAIN_SELF_HELP, "不能给自己砍价，请邀请好友帮砍",
     "You cannot help your own bargain; ask a friend"},
    {Msg::BARGAIN_HELPED, "你已经帮砍过了", "You helped this bargain already"},
    {Msg::BARGAIN_AT_FLOOR, "已砍到底价", "The bargain is at its floor price"},
    {Msg::BARGAIN_DAILY_CAP, "今日帮砍次数已用完（每天最多 {max} 次）",
     "At most {max} helps a day"},
    {Msg::BARGAIN_CHANGED, "砍价已变化，请重试", "The bargain changed; try again"},
    {Msg::COUPON_SKUS_EMPTY, "请至少选择一个商品规格", "scope.ids must name at least one SKU"},
    {Msg::COUPON_NOT_FOUND, "优惠券不存在", "Coupon not found"},
    {Msg::ONE_COUPON_PER_ORDER, "每笔订单最多使用一张{stage}优惠券",
     "At most one {stage} coupon per order"},
    {Msg::COUPON_USED, "优惠券已使用", "The coupon has been used"},
    {Msg::COUPON_NOT_APPLICABLE, "这张优惠券不适用于这些商品",
     "The coupon covers none of these goods"},
    {Msg::COUPON_MIN_SPEND, "满 ¥{min_spend} 可用",
     "The coupon needs a spend of at least ¥{min_spend}"},
    {Msg::COUPON_NOT_YET_VALID, "优惠券还未到使用时间", "The coupon is not valid yet"},
    {Msg::COUPON_EXPIRED, "优惠券已过期", "The coupon has expired"},
    {Msg::THRESHOLD_COUPON_AMOUNT, "满减券的减免金额须小于使用门槛",
     "A threshold coupon takes off less than its minimum spend"},
    {Msg::COUPON_VALIDITY_BOTH, "有效期只能填写起止时间或领取后天数之一",
     "Give valid_from/valid_to or valid_days, not both"},
    {Msg::COUPON_VALIDITY_REQUIRED, "请填写失效时间或领取后有效天数",
     "valid_to (or valid_days after claim) is required"},
    {Msg::VALID_TO_BEFORE_FROM, "失效时间须晚于生效时间", "valid_to must be after valid_from"},
    {Msg::MERCHANT_COUPON_SCOPE, "店铺优惠券只能用于全店、指定商品或类目",
     "A merchant coupon's scope is merchant, sku or category"},
    {Msg::PLATFORM_COUPON_SCOPE, "平台优惠券只能用于全平台或类目",
     "A platform coupon's scope is platform or category"},
    {Msg::VALID_TO_IN_PAST, "失效时间已经过去", "valid_to is in the past"},
    {Msg::COUPON_NOT_HANDED_OUT, "这张优惠券已停止发放", "This coupon is no longer handed out"},
    {Msg::COUPON_CLAIM_EXPIRED, "这张优惠券已过期", "This coupon has expired"},
    {Msg::COUPON_PER_USER_LIMIT, "每人限领 {limit} 张", "At most {limit} per person"},
    {Msg::COUPON_ALL_CLAIMED, "已领完", "All coupons have been claimed"},
    {Msg::COUPON_STATUS_FILTER, "筛选状态只能是未使用、已使用或已过期",
     "status must be unused, used or expired"},
    {Msg::GIFT_SELF_ACCEPT, "送礼人不能自己领取礼物", "The sender cannot accept their own gift"},
    {Msg::GIFT_ACCEPTED, "礼物已被领取", "The gift was already accepted"},
    {Msg::GIFT_INVALID, "礼物已失效", "The gift is no longer valid"},
    {Msg::GIFT_EXPIRED, "礼物已过期", "The gift has expired"},
    {Msg::SHARER_BALANCE_LOW, "可提现收益不足（可提现 ¥{available}）",
     "Not enough earnings to withdraw (¥{available} available)"},
    {Msg::GIFT_ALL_ACCEPTED, "礼物已被领完", "Every part of this gift has been accepted"},
    {Msg::GIFT_PART_HELD, "你已领取过这份礼物", "You already accepted a part of this gift"},
    {Msg::GIFT_PARTS_QUANTITY, "分成 {parts} 份的礼物需购买同一商品共 {parts} 件（最多 {max} 份）",
     "A gift of {parts} parts holds one SKU, {parts} units (at most {max} parts)"},
    {Msg::ACTIVITY_NOT_GIFTABLE, "活动订单不能作为礼物", "An activity order cannot be a gift"},
    {Msg::ACTIVITY_ONE_SKU, "活动订单只能购买活动商品",
     "An activity order holds only the activity's SKU"},
    {Msg::GROUP_ID_NOT_GROUP_BUY, "这个活动不是拼团", "activity.group_id is for group buys"},
    {Msg::BARGAIN_ID_NOT_BARGAIN, "这个活动不是砍价", "activity.bargain_id is for bargains"},
    {Msg::GROUP_NOT_FOUND, "拼团不存在", "Group not found"},
    {Msg::GROUP_OVER, "拼团已结束", "The group is over"},
    {Msg::GROUP_EXPIRED, "拼团已过期", "The group has expired"},
    {Msg::GROUP_SEAT_HELD, "你已在团中", "You already hold a seat in this group"},
    {Msg::GROUP_NEW_USERS_ONLY, "仅限新用户参团", "This group is for new users only"},
    {Msg::GROUP_FULL, "拼团已满", "The group is full"},
    {Msg::LEADER_PRICE_ABOVE_GROUP, "团长价不能高于拼团价",
     "leader_price_fen must not exceed group_price_fen"},
    {Msg::GROUP_PRICE_NOT_BELOW, "拼团价须低于商品原价 ¥{sku_price}",
     "The group price must be below the SKU's price of ¥{sku_price}"},
    {Msg::TIERS_MUST_RISE, "阶梯的打开次数和折扣都须逐级递增",
     "tiers must rise in both opens and off_bps"},
    {Msg::RECOMMENDATION_LENGTH, "推荐语应为 1–{max} 字节", "text must be 1 to {max} bytes"},
    {Msg::STATUS_CANNOT_CHANGE, "状态不能从“{from}”变为“{to}”",
     "The status {from} cannot become {to}"},
    {Msg::STATUS_CHANGED_RELOAD, "状态已变化，请刷新后重试",
     "The status changed; reload and retry"},
    // the rest: search, shipping, sandbox modes, metrics, timers
    {Msg::FIELD_NOT_NON_NEGATIVE, "{field}应为不小于 0 的整数",
     "{field} must be a non-negative integer"},
    {Msg::SEARCH_QUERY_TOO_LONG, "搜索词太长（最多 {max} 字节）", "q is at most {max} bytes"},
    {Msg::SEARCH_SORT_INVALID, "不支持这种排序方式",
     "sort must be relevance, price_asc, price_desc, sales or newest"},
    {Msg::METRICS_FORBIDDEN, "指标仅对本机或持有指标令牌的请求开放",
     "Metrics are for loopback peers or requests with the --metrics-token only"},
    {Msg::SANDBOX_MODE_INVALID, "沙箱模式只能是 normal、late、twice 或 drop",
     "mode must be normal, late, twice or drop"},
    {Msg::LEDGER_ACCOUNT_INVALID, "账户只能是待结算或可提现",
     "account must be payable or withdrawable"},
    {Msg::WAIT_MS_RANGE, "等待时间应为 1–{max} 毫秒", "wait_ms must be 1 to {max}"},
    {Msg::SHIPMENT_REQUIRED, "请填写快递公司和快递单号", "carrier and tracking_no are required"},
    {Msg::SHIPMENT_TOO_LONG, "快递公司最多 {carrier_max} 字节，快递单号最多 {tracking_no_max} 字节",
     "carrier is at most {carrier_max} bytes and tracking_no at most {tracking_no_max}"},
    {Msg::TRACKING_DESCRIPTION_LENGTH, "物流描述应为 1–{max} 字节",
     "description must be 1 to {max} bytes"},
    {Msg::SHIPMENT_NOT_FOUND, "物流信息不存在", "Shipment not found"},
    {Msg::SHIPMENT_DELIVERED, "包裹已送达", "The shipment was already delivered"},
    {Msg::CURSOR_MOVED, "另一个进程已推进了处理进度", "Another runner moved the cursor"},
    {Msg::TIMER_NOT_FOUND, "没有这个已停止的定时任务", "No such dead timer"},
    {Msg::SPLIT_INVALID, "金额拆分有误", "Bad split"},
    // membership cards: programme, stores, cards, member codes
    {Msg::MEMBER_LEVELS_RANGE, "会员等级应为 1–{max} 个", "levels must be 1 to {max} objects"},
    {Msg::MEMBER_FIRST_LEVEL_ZERO, "第一个等级的成长值门槛须为 0",
     "The first level's growth_threshold must be 0 (every new member's level)"},
    {Msg::MEMBER_LEVELS_RISE, "等级的成长值门槛须逐级递增", "Level growth thresholds must rise"},
    {Msg::MEMBER_LEVEL_NAME_TWICE, "等级名称重复：{name}", "Level names must differ: {name}"},
    {Msg::MEMBER_COVER_COLOR, "卡面颜色须为 #rrggbb 格式", "cover_color must be a #rrggbb colour"},
    {Msg::MEMBER_PROGRAMME_NOT_FOUND, "本店还没有会员卡", "This shop has no membership card"},
    {Msg::MEMBER_ISSUE_LIMIT_BELOW_ISSUED, "发卡上限不能低于已发出的 {issued} 张",
     "issue_limit cannot be below the {issued} cards issued"},
    {Msg::MEMBER_TOO_MANY_STORES, "门店最多 {max} 家", "At most {max} stores"},
    {Msg::MEMBER_STORE_NOT_FOUND, "门店不存在", "Store not found"},
    {Msg::MEMBER_CODE_INVALID, "会员码无效或已过期，请刷新后重试",
     "The member code is invalid or expired; refresh and retry"},
    {Msg::MEMBER_CLAIM_LINK_NOT_FOUND, "领卡链接无效", "Claim link not found"},
    {Msg::MEMBER_CLAIM_CONFLICT, "领卡冲突，请重试", "Claim conflict; retry"},
    {Msg::MEMBER_CARDS_ALL_ISSUED, "会员卡已发完", "All membership cards have been issued"},
    {Msg::MEMBER_CARD_NOT_FOUND, "会员卡不存在", "Card not found"},
    {Msg::REVIEW_ITEM_NOT_FOUND, "订单商品不存在", "Order item not found"},
    {Msg::REVIEW_ORDER_NOT_COMPLETED, "订单完成后才能评价", "You can review an item once its order is completed"},
    {Msg::REVIEW_EXISTS, "这件商品已经评价过了", "You have already reviewed this item"},
    {Msg::REVIEW_NOT_FOUND, "评价不存在", "Review not found"},
    {Msg::REVIEW_REPLIED, "这条评价已经回复过了", "This review has been answered already"},
    {Msg::REVIEW_PHOTO_NOT_YOURS, "照片不存在或不是你上传的，请重新上传",
     "A photo does not exist or was not uploaded by you; upload it again"},
    {Msg::CS_THREAD_NOT_FOUND, "会话不存在", "Conversation not found"},
    {Msg::CS_THREAD_FULL, "这个会话的消息已达上限（{max} 条）", "This conversation has reached its {max} messages"},
    {Msg::FAVORITES_FULL, "收藏已达上限（{max} 个），先取消一些再收藏", "You can keep at most {max} favourites; remove some first"},
    // community group buying
    {Msg::COMMUNITY_REF_INVALID, "请选择团长链接或自提点（二选一）",
     "Give either a leader's link code or a pickup point"},
    {Msg::COMMUNITY_NO_ACTIVITY, "团购订单不能同时参加其他活动",
     "A community order cannot join another activity"},
    {Msg::CUTOFF_PASSED, "本期团购已截单",
     "This community campaign has passed its cutoff"},
    {Msg::CAMPAIGN_NOT_STARTED, "本期团购尚未开始",
     "This community campaign has not started yet"},
    {Msg::LEADER_INACTIVE, "该团长的自提点已关闭",
     "This leader's pickup point is closed"},
    {Msg::LEADER_NOT_FOUND, "团长不存在",
     "Leader not found"},
    {Msg::CAMPAIGN_NOT_FOUND, "团购活动不存在",
     "Community campaign not found"},
    {Msg::PICKUP_POINT_NOT_FOUND, "自提点不存在",
     "Pickup point not found"},
    {Msg::CAMPAIGN_SKU_NOT_IN, "商品不在本期团购中",
     "This product is not in the campaign"},
    {Msg::CAMPAIGN_SOLD_OUT, "团购库存不足（剩余 {left} 件）",
     "Not enough campaign stock ({left} left)"},
    {Msg::LEADER_ALREADY, "你已是该店的团长，或申请正在审核",
     "You already lead for this shop, or your application is pending"},
    {Msg::LEADER_STATE, "团长当前状态不能进行此操作",
     "This cannot be done in the leader's current state"},
    {Msg::BATCH_NOT_FOUND, "集单发货单不存在",
     "Consolidated shipment not found"},
    {Msg::BATCH_STATE, "集单发货单当前状态不能进行此操作",
     "This cannot be done in the consolidated shipment's current state"},
    {Msg::PICKUP_CODE_NOT_FOUND, "提货码无效",
     "Pickup code not found"},
    {Msg::PICKUP_CODE_USED, "提货码已使用",
     "This pickup code has been used"},
    {Msg::PICKUP_NOT_ARRIVED, "货品尚未到达自提点",
     "The goods have not arrived at the pickup point"},
    {Msg::PICKUP_ITEMS_EXCEED, "提货数量超过未提数量",
     "More units than are left to pick up"},
    {Msg::CAMPAIGN_ITEMS_RANGE, "团购商品须为 1 到 {max} 个",
     "A campaign has 1 to {max} products"},
    {Msg::CAMPAIGN_TIMES, "截单时间须晚于开始时间",
     "The cutoff must be after the start"},
    {Msg::PICKUP_DATE_INVALID, "提货日期格式应为 YYYY-MM-DD",
     "The pickup date must be YYYY-MM-DD"},
    {Msg::CAMPAIGN_SKU_TWICE, "同一商品规格在活动中只能出现一次",
     "A SKU appears once in a campaign"},
    {Msg::CAMPAIGN_PRICE_ABOVE_LIST, "团购价不能高于原价",
     "The community price cannot exceed the list price"},
    {Msg::UNPICKED_RULE_INVALID, "逾期未提的处理方式只能是退款（refund）或自动完成（complete）",
     "The unpicked rule must be refund or complete"},
    {Msg::LEADER_FUNDS, "可提现佣金不足（可提 {available} 元）",
     "Not enough withdrawable commission ({available} yuan available)"},
    {Msg::LEADER_POINT_NEEDED, "请填写自提点，或选择自己已有的自提点",
     "Give a pickup point, or one of your own"},
    {Msg::CAMPAIGN_NOT_OPEN, "团购活动已结束或已截单",
     "The campaign is no longer open"},
    {Msg::PICKUP_CODE_NONE, "这不是自提订单",
     "This order is not picked up"},
    // membership cards: points, member prices, the POS, pushes
    {Msg::MEMBER_POINTS_NO_CARD, "您还不是本店会员，不能用积分抵扣",
     "Only members of this shop can redeem points"},
    {Msg::MEMBER_POINTS_REDEEM_OFF, "本店未开通积分抵现",
     "This shop does not take points at checkout"},
    {Msg::MEMBER_POINTS_OVER_BALANCE, "积分不足：想用 {points}，现有 {balance}",
     "Not enough points: {points} asked, {balance} held"},
    {Msg::MEMBER_POINTS_OVER_CAP, "本单最多可用 {max} 积分（想用 {points}）",
     "This order takes at most {max} points ({points} asked)"},
    {Msg::MEMBER_POINTS_TOO_FEW, "积分太少，至少 {min} 积分才能抵 1 分钱",
     "Too few points: at least {min} take one fen off"},
    {Msg::MEMBER_ADJUST_BELOW_ZERO, "扣减后积分不能为负：现有 {balance}",
     "Points cannot go below zero: {balance} held"},
    {Msg::MEMBER_SKU_PRICE_NOT_BELOW, "会员价须低于售价 ¥{price}",
     "The member price must be below the price ¥{price}"},
    {Msg::MEMBER_TOO_MANY_SKU_PRICES, "会员价商品最多 {max} 个",
     "At most {max} SKUs with a member price"},
    {Msg::MEMBER_POS_PURCHASE_NOT_FOUND, "门店消费记录不存在",
     "Store purchase not found"},
    {Msg::MEMBER_POS_CODE_RATE_LIMITED, "会员码尝试过于频繁，请稍后再试",
     "Too many member code attempts; retry later"},
    {Msg::MEMBER_POS_NOT_OPEN, "请先添加门店再使用门店收银接口",
     "Add a store before using the POS API"},
    {Msg::MEMBER_PUSH_NOT_FOUND, "推送不存在",
     "Push not found"},
    {Msg::MEMBER_PUSH_AUDIENCE, "推送对象须为全部会员、某个等级或标签",
     "audience must be all members, a level or tags"},
    {Msg::MEMBER_PUSH_TAGS_LATER, "按标签推送将随数据平台开放",
     "Pushing to tags arrives with the data platform"},
    {Msg::MEMBER_PUSH_TAG_UNKNOWN, "不支持的会员标签：{tag}",
     "Unknown member tag: {tag}"},
    {Msg::MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, "会员超过 {max} 人，暂不能按标签推送，请按等级推送",
     "More than {max} members: push to a level instead of tags"},
    {Msg::MEMBER_POS_REFUND_TOO_MUCH, "退款金额超过可退金额（还可退 {refundable_fen} 分）",
     "The refund exceeds what is left to refund ({refundable_fen} fen)"},
    {Msg::MEMBER_PUSH_LEVEL_UNKNOWN, "没有第 {level} 级会员",
     "There is no level {level}"},
    {Msg::MEMBER_PUSH_PRODUCT_NOT_FOUND, "推送的商品不存在",
     "The pushed product was not found"},
    {Msg::MEMBER_PUSH_COUPON_NOT_FOUND, "推送的优惠券不存在",
     "The pushed coupon was not found"},
    {Msg::MEMBER_INBOX_NOT_FOUND, "消息不存在",
     "Message not found"},
    // live commerce
    {Msg::LIVE_ROOM_NOT_FOUND, "直播间不存在", "Live room not found"},
    {Msg::ROOM_NOT_LIVE, "直播间未在直播中", "The room is not live"},
    {Msg::LIVE_ROOM_STATE, "直播间当前状态（{status}）不能进行此操作", "This cannot be done while the room is {status}"},
    {Msg::LIVE_PRODUCT_NOT_IN_ROOM, "商品不在本直播间", "This product is not in the room"},
    {Msg::LIVE_SOLD_OUT, "直播库存不足（剩余 {left} 件）", "Not enough live stock ({left} left)"},
    {Msg::LIVE_HOST_NOT_STAFF, "主播须是本店店员", "The host must be one of the shop's staff"},
    {Msg::LIVE_PRICE_ABOVE_LIST, "直播价不能高于原价", "The live price cannot exceed the list price"},
    {Msg::LIVE_PRODUCTS_RANGE, "直播商品最多 {max} 个", "A room has at most {max} products"},
    {Msg::LIVE_SKU_TWICE, "同一商品规格在直播间只能出现一次", "A SKU appears once in a room"},
    {Msg::LIVE_NO_OTHER_ACTIVITY, "直播订单不能同时参加其他活动", "A live order cannot join another activity"},
    {Msg::LIVE_COMMENT_RATE, "发言太快了，请 {retry_after} 秒后再试", "Commenting too fast; try again in {retry_after} s"},
    {Msg::LIVE_URL_INVALID, "链接须以 http:// 或 https:// 开头", "The link must start with http:// or https://"},
    {Msg::LIVE_TOO_MANY_STREAMS, "同一网络观看的直播连接过多", "Too many live connections from your network"},
    {Msg::LIVE_SKU_NOT_FOUND, "商品规格不存在", "SKU not found"},
    {Msg::LIVE_MUTED, "你已被主播禁言，暂时不能发言", "The host has muted you in this room"},
    {Msg::LIVE_COMMENT_BLOCKED_WORD, "发言含有本店不允许的词语，请修改后再发",
     "The comment contains a word this shop does not allow"},
    {Msg::LIVE_COMMENT_NOT_FOUND, "评论不存在", "Comment not found"},
    {Msg::LIVE_BLOCKED_WORDS_RANGE, "屏蔽词最多 {max} 个，每个 1–{max_len} 个字节",
     "At most {max} blocked words of 1–{max_len} bytes each"},
    // (end of the templates)
};

struct LabelEntry {
  const char* raw;
  const char* zh;
  const char* en;
};

// Field names (as requests spell them) and status words, as people call them.
constexpr LabelEntry kLabels[] = {
    // fields
    {"activity", "活动", "activity"},
    {"activity_id", "活动", "activity"},
    {"address", "收货地址", "address"},
    {"address_id", "收货地址", "address"},
    {"amount_fen", "金额", "amount"},
    {"attributes", "商品属性", "attributes"},
    {"audience", "推送对象", "audience"},
    {"bargain_id", "砍价", "bargain"},
    {"cap_fen", "封顶金额", "cap"},
    {"card_fen", "购物卡支付金额", "store credit amount"},
    {"carrier", "快递公司", "carrier"},
    {"cart_item_ids", "购物车商品", "cart items"},
    {"category", "类目", "category"},
    {"chat_group", "群聊", "chat group"},
    {"code", "商家编码", "code"},
    {"commission_bps", "佣金率", "commission rate"},
    {"coupon_id", "优惠券", "coupon"},
    {"coupon_ids", "优惠券", "coupons"},
    {"cursor", "翻页位置", "cursor"},
    {"delivered", "是否送达", "delivered"},
    {"description", "描述", "description"},
    {"detail", "详细地址", "street address"},
    {"enabled", "是否启用", "enabled"},
    {"ends_at", "结束时间", "end time"},
    {"event", "事件", "event"},
    {"event_types", "事件类型", "event types"},
    {"floor_price_fen", "底价", "floor price"},
    {"gift", "礼物", "gift"},
    {"group_id", "拼团", "group"},
    {"group_price_fen", "拼团价", "group price"},
    {"group_size", "成团人数", "group size"},
    {"group_ttl_s", "成团时限", "group time limit"},
    {"helps_needed", "需要帮砍人数", "helps needed"},
    {"hold_days", "结算周期", "hold period"},
    {"id", "编号", "id"},
    {"ids", "编号", "ids"},
    {"images", "商品图片", "images"},
    {"banner", "店铺横幅", "banner"},
    {"rules", "运费规则", "rules"},
    {"regions", "地区", "regions"},
    {"first_units", "首件（首重）", "first units"},
    {"first_fen", "首费", "first fee"},
    {"additional_units", "续件（续重）", "additional units"},
    {"additional_fen", "续费", "additional fee"},
    {"free_over_fen", "包邮门槛", "free shipping threshold"},
    {"undeliverable", "不配送地区", "regions not delivered to"},
    {"is_default", "默认模板", "default template"},
    {"freight_template_id", "运费模板", "freight template"},
    {"weight_g", "重量", "weight"},
    {"low_stock_threshold", "库存预警值", "low-stock threshold"},
    {"words", "屏蔽词", "blocked words"},
    {"province_code", "省份", "province"},
    {"city_code", "城市", "city"},
    {"district_code", "区县", "district"},
    {"items", "商品", "items"},
    {"kind", "类型", "kind"},
    {"late_ms", "延迟", "delay"},
    {"leader_price_fen", "团长价", "leader price"},
    {"limit", "每页条数", "limit"},
    {"max_order_fen", "单笔订单上限", "order limit"},
    {"max_products", "商品数上限", "product limit"},
    {"member_code", "会员码", "member code"},
    {"member_points", "积分抵扣", "points redeemed"},
    {"message", "祝福语", "message"},
    {"min_spend_fen", "使用门槛", "minimum spend"},
    {"mode", "模式", "mode"},
    {"name", "名称", "name"},
    {"new_user_only", "仅限新用户", "new users only"},
    {"nickname", "昵称", "nickname"},
    {"notify_id", "通知编号", "notification id"},
    {"off_bps", "折扣", "discount"},
    {"opens", "打开次数", "opens"},
    {"opt_out", "不再接收", "opt-out"},
    {"out_no", "外部单号", "external number"},
    {"owner_phone", "店主手机号", "owner's phone"},
    {"parts", "礼物份数", "gift parts"},
    {"password", "密码", "password"},
    {"pay", "支付方式", "payment"},
    {"per_user_limit", "每人限购", "per-person limit"},
    {"percent_bps", "折扣比例", "percentage"},
    {"phone", "手机号", "phone number"},
    {"points", "积分", "points"},
    {"prepay_id", "预支付编号", "prepay id"},
    {"price_fen", "价格", "price"},
    {"product_id", "商品", "product"},
    {"events", "事件", "events"},
    {"device_id", "设备标识", "device id"},
    {"from", "开始日期", "start date"},
    {"to", "结束日期", "end date"},
    {"push_cap_per_week", "每周推送上限", "pushes per week"},
    {"days", "天数", "days"},
    {"head_merchants", "头部商家数", "head merchants"},
    {"head_share_bps", "头部商家占比", "head merchants' share"},
    {"long_tail_share_bps", "长尾曝光保底比例", "long-tail share"},
    {"max_per_merchant_per_page", "每页同一商家上限", "per merchant per page"},
    {"max_per_merchant_per_user_day", "每人每天同一商家上限", "per merchant per user and day"},
    {"max_per_category_per_page", "每页同一类目上限", "per category per page"},
    {"new_merchant_boost_bps", "新商家扶持加权", "new-merchant boost"},
    {"new_merchant_half_life_hours", "扶持减半时间", "boost half-life"},
    {"new_merchant_window_days", "新商家扶持天数", "new-merchant window"},
    {"new_merchant_half_life_ms", "扶持减半时间", "boost half-life"},
    {"new_merchant_window_ms", "新商家扶持天数", "new-merchant window"},
    {"qty", "数量", "quantity"},
    {"quantity", "数量", "quantity"},
    {"rating", "评分", "rating"},
    {"after", "消息位置", "after"},
    {"reason", "原因", "reason"},
    {"reply", "回复", "reply"},
    {"receipt_id", "小票号", "receipt id"},
    {"refund_id", "退款单号", "refund id"},
    {"redeem_cap_bps", "积分抵扣上限", "redemption cap"},
    {"redeem_points_per_yuan", "每元所需积分", "points per yuan off"},
    {"referral_bonus_points", "推荐奖励积分", "referral bonus points"},
    {"region", "所在地区", "region"},
    {"role", "角色", "role"},
    {"scope", "权限", "scope"},
    {"scopes", "权限", "scopes"},
    {"sku_id", "商品规格", "SKU"},
    {"skus", "商品规格", "SKUs"},
    {"spec", "规格", "spec"},
    {"starts_at", "开始时间", "start time"},
    {"order_item_id", "订单商品", "order item"},
    {"order_id", "订单", "order"},
    {"status", "状态", "status"},
    {"stock", "库存", "stock"},
    {"store_id", "门店", "store"},
    {"t", "时间", "time"},
    {"text", "内容", "text"},
    {"photos", "照片", "photos"},
    {"tiers", "阶梯", "tiers"},
    {"timestamp_ms", "时间", "timestamp"},
    {"title", "标题", "title"},
    {"token", "凭证", "token"},
    {"total_quota", "发放总量", "total quantity"},
    {"tracking_no", "快递单号", "tracking number"},
    {"transaction_id", "交易号", "transaction id"},
    {"ttl_s", "有效期", "time to live"},
    {"type", "类型", "type"},
    {"url", "网址", "URL"},
    {"valid_days", "有效天数", "valid days"},
    {"valid_from", "生效时间", "valid from"},
    {"valid_to", "失效时间", "valid to"},
    // status words, kinds, roles
    {"active", "营业中", "active"},
    {"pending", "待审核", "pending"},
    {"suspended", "已暂停", "suspended"},
    {"rejected", "已拒绝", "rejected"},
    {"c2c", "个人店", "c2c"},
    {"b2c", "自营店", "b2c"},
    {"ka", "品牌店", "ka"},
    {"owner", "店主", "owner"},
    {"operator", "运营", "operator"},
    {"support", "客服", "support"},
    {"endpoint_id", "Webhook 地址", "endpoint"},
    {"target", "分享对象", "target"},
    {"target_id", "分享对象", "target"},
    {"channel", "分享渠道", "channel"},
    {"share_code", "分享链接", "share link"},
    {"benefits", "会员权益", "benefits"},
    {"cover_color", "卡面颜色", "cover colour"},
    {"discount_bps", "会员折扣", "member discount"},
    {"growth_threshold", "升级所需成长值", "growth threshold"},
    {"issue_limit", "发卡上限", "issue limit"},
    {"levels", "会员等级", "levels"},
    {"opening_hours", "营业时间", "opening hours"},
    {"points_multiplier_bps", "积分倍率", "points multiplier"},
    {"points_per_yuan", "每元积分", "points per yuan"},
    {"points_validity_days", "积分有效天数", "points validity (days)"},
    {"latitude", "纬度", "latitude"},
    {"longitude", "经度", "longitude"},
    {"order.created", "待付款", "awaiting payment"},
    {"order.paid", "待发货", "paid"},
    {"order.shipped", "已发货", "shipped"},
    {"order.delivered", "已送达", "delivered"},
    {"order.completed", "已完成", "completed"},
    {"order.cancelled", "已取消", "cancelled"},
    {"order.refunding", "退款中", "refunding"},
    {"order.refunded", "已退款", "refunded"},
    {"order.grouping", "拼团中", "grouping"},
    {"order.gift_pending", "等待好友领取礼物", "waiting for the gift to be accepted"},
    {"order.none", "无", "none"},
    {"aftersale.pending", "待处理", "pending"},
    {"aftersale.awaiting_return", "待买家退货", "awaiting the return"},
    {"aftersale.returned", "买家已寄回", "returned"},
    {"aftersale.refunding", "退款中", "refunding"},
    {"aftersale.refunded", "已退款", "refunded"},
    {"aftersale.rejected", "已拒绝", "rejected"},
    {"pay.pending", "待支付", "pending"},
    {"pay.succeeded", "已成功", "succeeded"},
    {"pay.failed", "已失败", "failed"},
    {"pay.closed", "已关闭", "closed"},
    {"pay.held", "待结算", "held"},
    {"pay.settled", "已结算", "settled"},
    {"pay.paid", "已打款", "paid"},
    {"pay.SUCCESS", "已支付", "paid"},
    {"pay.FAIL", "支付失败", "failed"},
    {"pay.NOTPAY", "未支付", "not paid"},
    {"kind.payment", "支付", "payment"},
    {"kind.refund", "退款", "refund"},
    {"kind.settlement", "结算", "settlement"},
    {"kind.withdrawal", "提现", "withdrawal"},
    {"stage.platform", "平台", "platform"},
    {"stage.merchant", "店铺", "merchant"},
    {"promo.accepted", "已领取", "accepted"},
    {"promo.active", "进行中", "active"},
    {"promo.bought", "已购买", "bought"},
    {"promo.cancelled", "已取消", "cancelled"},
    {"promo.created", "已创建", "created"},
    {"promo.expired", "已过期", "expired"},
    {"promo.failed", "已失败", "failed"},
    {"promo.forming", "拼团中", "forming"},
    {"promo.paid", "已支付", "paid"},
    {"promo.pending", "待处理", "pending"},
    {"promo.refunded", "已退款", "refunded"},
    {"promo.stopped", "已停止", "stopped"},
    {"promo.succeeded", "已成功", "succeeded"},
    {"promo.unpaid", "待付款", "unpaid"},
    {"promo.unused", "未使用", "unused"},
    {"promo.used", "已使用", "used"},
    {"promo.waiting", "待领取", "waiting"},
    {"q", "搜索词", "search query"},
    {"sort", "排序", "sort"},
    {"min_price_fen", "最低价", "minimum price"},
    {"max_price_fen", "最高价", "maximum price"},
    {"merchant_id", "店铺", "shop"},
    {"wait_ms", "等待时间", "wait time"},
    {"community", "社区团购", "community campaign"},
    {"leader_code", "团长链接", "leader's link"},
    {"pickup_point", "自提点", "pickup point"},
    {"pickup_point_id", "自提点", "pickup point"},
    {"campaign_id", "团购活动", "campaign"},
    {"hours", "营业时间", "opening hours"},
    {"capacity", "容量", "capacity"},
    {"cutoff_at", "截单时间", "cutoff"},
    {"pickup_date", "提货日期", "pickup date"},
    {"room_id", "直播间", "live room"},
    {"cover", "封面", "cover"},
    {"stream_url", "直播流地址", "stream URL"},
    {"host_user_id", "主播", "host"},
    {"live_price_fen", "直播价", "live price"},
    {"live_stock", "直播库存", "live stock"},
    {"count", "数量", "count"},
    {"products", "商品", "products"},
    {"unpicked_days", "逾期未提天数", "days to pick up"},
    {"unpicked_rule", "逾期未提处理", "unpicked rule"},
    {"pickup_code", "提货码", "pickup code"},
    {"leader.pending", "待审核", "pending"},
    {"leader.active", "已通过", "active"},
    {"leader.suspended", "已暂停", "suspended"},
    {"leader.ended", "已结束", "ended"},
    {"leader.rejected", "已拒绝", "rejected"},
    // (end of the labels)
};

const Entry* FindEntry(Msg m) {
  static const auto* index = [] {
    auto* map = new std::unordered_map<uint16_t, const Entry*>();
    for (const Entry& e : kTemplates) map->emplace(static_cast<uint16_t>(e.key), &e);
    return map;
  }();
  auto it = index->find(static_cast<uint16_t>(m));
  return it == index->end() ? nullptr : it->second;
}

const LabelEntry* FindLabel(std::string_view raw) {
  static const auto* index = [] {
    auto* map = new std::unordered_map<std::string_view, const LabelEntry*>();
    for (const LabelEntry& e : kLabels) map->emplace(e.raw, &e);
    return map;
  }();
  auto it = index->find(raw);
  return it == index->end() ? nullptr : it->second;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string YuanText(const std::string& fen_text) {
  char* end = nullptr;
  long long fen = std::strtoll(fen_text.c_str(), &end, 10);
  if (end == fen_text.c_str()) return fen_text;
  std::string sign = fen < 0 ? "-" : "";
  unsigned long long abs =
      fen < 0 ? 0ULL - static_cast<unsigned long long>(fen) : static_cast<unsigned long long>(fen);
  std::string cents = std::to_string(abs % 100);
  if (cents.size() < 2) cents = "0" + cents;
  return sign + std::to_string(abs / 100) + "." + cents;
}

std::string ParamText(const MsgParam& p, Lang lang) {
  switch (p.kind) {
    case MsgParam::Kind::kLabel:
      if (!p.label_ns.empty())
        if (const LabelEntry* e = FindLabel(p.label_ns + "." + p.value))
          return lang == Lang::kEn ? e->en : e->zh;
      if (auto label = Label(p.value, lang)) return std::string(*label);
      // An unlabelled word is not shown raw to a zh reader.
      return lang == Lang::kEn ? p.value : std::string("该项");
    case MsgParam::Kind::kFen:
      return YuanText(p.value);
    case MsgParam::Kind::kText:
    case MsgParam::Kind::kNumber:
      break;
  }
  return p.value;
}

std::string Fill(std::string_view tmpl, const std::vector<MsgParam>& params, Lang lang) {
  std::string out;
  out.reserve(tmpl.size() + 16);
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) break;
    size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(i, open - i));
    std::string_view name = tmpl.substr(open + 1, close - open - 1);
    auto it = std::find_if(params.begin(), params.end(),
                           [&](const MsgParam& p) { return p.name == name; });
    if (it != params.end()) out += ParamText(*it, lang);
    i = close + 1;
  }
  out.append(tmpl.substr(i));
  return out;
}

}  // namespace

const std::vector<Msg>& AllMsgs() {
  static const std::vector<Msg> all = {
#define XD_MSG_LIST(key, code) Msg::key,
      XD_MESSAGES(XD_MSG_LIST)
#undef XD_MSG_LIST
  };
  return all;
}

std::string_view MsgName(Msg m) {
  switch (m) {
#define XD_MSG_NAME(key, code) \
  case Msg::key:               \
    return #key;
    XD_MESSAGES(XD_MSG_NAME)
#undef XD_MSG_NAME
  }
  return "INTERNAL";
}

ErrorCode MsgCode(Msg m) {
  switch (m) {
#define XD_MSG_CODE(key, code) \
  case Msg::key:               \
    return ErrorCode::code;
    XD_MESSAGES(XD_MSG_CODE)
#undef XD_MSG_CODE
  }
  return ErrorCode::INTERNAL;
}

Msg DefaultMsg(ErrorCode code) {
  switch (code) {
#define XD_DEFAULT_MSG(name, status) \
  case ErrorCode::name:              \
    return Msg::name;
    XD_ERROR_CODES(XD_DEFAULT_MSG)
#undef XD_DEFAULT_MSG
  }
  return Msg::INTERNAL;
}

Lang ParseAcceptLanguage(std::string_view header) {
  // RFC 9110 §12.5.4: comma-separated ranges, each with an optional ;q= weight (0..1, at most
  // three decimals). The highest weight among zh and en wins; on a tie the one listed first.
  Lang best = Lang::kZh;
  double best_q = 0;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string tag = Lower(Trim(item.substr(0, semi)));
    double q = 1;
    while (semi != std::string_view::npos) {
      std::string_view rest = item.substr(semi + 1);
      semi = rest.find(';');
      std::string param = Lower(Trim(rest.substr(0, semi)));
      if (param.rfind("q=", 0) != 0) continue;
      std::string value = Trim(param.substr(2));
      char* end = nullptr;
      q = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || q < 0 || q > 1)
        q = 0;  // malformed: ignore the range
    }
    std::string primary = tag.substr(0, tag.find('-'));
    std::optional<Lang> lang;
    if (primary == "zh") lang = Lang::kZh;
    if (primary == "en") lang = Lang::kEn;
    if (lang && q > best_q) {
      best = *lang;
      best_q = q;
    }
  }
  return best;
}

std::string_view LangName(Lang lang) { return lang == Lang::kEn ? "en" : "zh"; }

std::string_view Template(Msg m, Lang lang) {
  const Entry* e = FindEntry(m);
  if (!e) return {};
  return lang == Lang::kEn ? e->en : e->zh;
}

std::optional<std::string_view> Label(std::string_view raw, Lang lang) {
  // "items[2].quantity" → "quantity"; "coupon_ids[1]" → "coupon_ids".
  size_t dot = raw.rfind('.');
  if (dot != std::string_view::npos) raw = raw.substr(dot + 1);
  size_t bracket = raw.find('[');
  if (bracket != std::string_view::npos) raw = raw.substr(0, bracket);
  const LabelEntry* e = FindLabel(raw);
  if (!e) return std::nullopt;
  return std::string_view(lang == Lang::kEn ? e->en : e->zh);
}

MsgParam Field(std::string raw_field) {
  return MsgParam("field", std::move(raw_field), MsgParam::Kind::kLabel);
}
MsgParam Term(std::string name, std::string raw, std::string ns) {
  MsgParam p(std::move(name), std::move(raw), MsgParam::Kind::kLabel);
  p.label_ns = std::move(ns);
  return p;
}
MsgParam Fen(std::string name, int64_t fen) {
  return MsgParam(std::move(name), std::to_string(fen), MsgParam::Kind::kFen);
}

Error MakeError(Msg m, std::vector<MsgParam> params) {
  Error e;
  e.code = MsgCode(m);
  e.reason = m;
  e.params = std::move(params);
  e.message = Render(e, Lang::kEn);
  return e;
}

Msg ReasonOf(const Error& e) { return e.reason ? *e.reason : DefaultMsg(e.code); }

Error AtItemError(size_t i, Error e) {
  std::erase_if(e.params, [](const MsgParam& p) { return p.name == "item"; });
  e.params.emplace_back("item", i);
  if (e.reason)
    e.message = Render(e, Lang::kEn);
  else
    e.message = "items[" + std::to_string(i) + "]: " + e.message;
  return e;
}

std::string Render(const Error& e, Lang lang) {
  Msg m = ReasonOf(e);
  std::string_view tmpl = Template(m, lang);
  if (tmpl.empty()) tmpl = Template(DefaultMsg(e.code), lang);
  std::string out = Fill(tmpl, e.params, lang);
  auto item = std::find_if(e.params.begin(), e.params.end(),
                           [](const MsgParam& p) { return p.name == "item"; });
  if (item != e.params.end() && item->kind == MsgParam::Kind::kNumber) {
    long long i = std::strtoll(item->value.c_str(), nullptr, 10);
    out = (lang == Lang::kEn ? "items[" + std::to_string(i) + "]: "
                             : "第 " + std::to_string(i + 1) + " 项：") +
          out;
  }
  return out;
}

Json ErrorJson(const Error& e, Lang lang) {
  Json params = Json::object();
  for (const MsgParam& p : e.params) {
    if (p.kind == MsgParam::Kind::kNumber || p.kind == MsgParam::Kind::kFen) {
      char* end = nullptr;
      long long n = std::strtoll(p.value.c_str(), &end, 10);
      if (end != p.value.c_str() && *end == '\0') {
        params[p.name] = static_cast<int64_t>(n);
        continue;
      }
    }
    params[p.name] = p.value;
  }
  return Json{{"error",
               {{"code", ErrorCodeName(e.code)},
                {"reason", MsgName(ReasonOf(e))},
                {"params", std::move(params)},
                {"message", Render(e, lang)}}}};
}

}  // namespace xd

// Traffic texts (issue 20): the home feed's reasons, hot shops, the storefront and following.
export const zh = {
  'feed.title': '为你推荐', 'feed.friend': '{name} 推荐', 'feed.followed': '关注的店上新', 'feed.live': '正在直播',
  'feed.personalised': '猜你喜欢', 'feed.hot_shop': '热门小店', 'feed.cold_start': '新品推荐', 'feed.watch': '进入直播间',
  'hot.title': '热门微卖场', 'hot.more': '查看店铺',
  'store.followers': '{n} 人关注', 'store.follow': '关注', 'store.following': '已关注', 'store.followed': '关注成功',
  'store.unfollowed': '已取消关注', 'store.all': '全部', 'store.products': '店铺商品', 'store.live': '店铺直播',
  'store.onSale': '在售 {n} 件', 'store.notFound': '店铺不存在或已关闭', 'store.enter': '进店逛逛',
};

export const en = {
  'feed.title': 'For you', 'feed.friend': 'Recommended by {name}', 'feed.followed': 'New from a shop you follow',
  'feed.live': 'Live now', 'feed.personalised': 'You may like', 'feed.hot_shop': 'Hot shop', 'feed.cold_start': 'New arrival',
  'feed.watch': 'Watch live',
  'hot.title': 'Hot shops', 'hot.more': 'Visit shop',
  'store.followers': '{n} followers', 'store.follow': 'Follow', 'store.following': 'Following', 'store.followed': 'Followed',
  'store.unfollowed': 'Unfollowed', 'store.all': 'All', 'store.products': 'Products', 'store.live': 'Live rooms',
  'store.onSale': '{n} on sale', 'store.notFound': 'This shop does not exist or is closed', 'store.enter': 'Visit shop',
};

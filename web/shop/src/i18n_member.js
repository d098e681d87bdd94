// Membership-card texts (会员卡: claim page, wallet, card page), merged into the shop's messages.
export const zh = {
  'pricing.member': '会员价',
  'member.mine': '我的会员卡', 'member.none': '还没有会员卡，在门店扫码即可领取', 'member.title': '会员卡',
  'member.notFound': '领卡链接无效或已失效', 'member.claim': '领取会员卡', 'member.claimed': '领取成功，已放入卡包',
  'member.held': '你已是会员', 'member.view': '查看我的会员卡', 'member.soldOut': '会员卡已发完',
  'member.levels': '会员等级', 'member.from': '成长值 {n} 起', 'member.multiplier': '积分 {n} 倍',
  'member.perYuan': '每消费 1 元得 {n} 积分', 'member.store': '领卡门店',
  'member.points': '积分', 'member.growth': '成长值', 'member.next': '再获得 {n} 成长值升级为「{name}」', 'member.top': '已是最高等级',
  'member.code': '会员码', 'member.codeHint': '到店出示，收银员扫码即可享会员价、累积分 · 每分钟自动刷新',
  'member.refresh': '刷新', 'member.history': '积分明细', 'member.historyNone': '还没有积分记录',
  'member.kind.order_paid': '订单消费', 'member.kind.order_refunded': '订单退款',
  'member.expires': '{time} 到期', 'member.cardNo': '卡号 {no}',
};

export const en = {
  'pricing.member': 'Member price',
  'member.mine': 'Membership cards', 'member.none': 'No cards yet: scan the code in a store to get one', 'member.title': 'Membership card',
  'member.notFound': 'This card link is not valid', 'member.claim': 'Get the card', 'member.claimed': 'Done: the card is in your wallet',
  'member.held': 'You are a member', 'member.view': 'See my card', 'member.soldOut': 'All cards have been handed out',
  'member.levels': 'Levels', 'member.from': 'from {n} growth', 'member.multiplier': '{n}× points',
  'member.perYuan': '{n} points per yuan spent', 'member.store': 'Store',
  'member.points': 'Points', 'member.growth': 'Growth', 'member.next': '{n} more growth to reach "{name}"', 'member.top': 'Top level reached',
  'member.code': 'Member code', 'member.codeHint': 'Show it at the counter for member prices and points · refreshes every minute',
  'member.refresh': 'Refresh', 'member.history': 'Points history', 'member.historyNone': 'No points yet',
  'member.kind.order_paid': 'Order', 'member.kind.order_refunded': 'Refund',
  'member.expires': 'expires {time}', 'member.cardNo': 'No. {no}',
};

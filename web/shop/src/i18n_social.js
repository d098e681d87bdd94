// Social-selling texts (issue 14: 我的收益, gifts in parts, share-to-drop progress, friends'
// recommendations); err.* word the server's reasons. Merged into the shop's messages by i18n.js.

export const zh = {
  'earn.title': '我的收益', 'earn.available': '可提现收益', 'earn.pending': '待结算', 'earn.paid': '累计已结算', 'earn.withdrawn': '已提现',
  'earn.withdraw': '提现到余额', 'earn.hint': '好友通过你的分享链接下单，订单完成后佣金计入可提现收益；退款的订单佣金取消',
  'earn.items': '佣金明细', 'earn.none': '还没有佣金，去分享商品给好友吧', 'earn.product': '商品', 'earn.rate': '佣金 {rate}',
  'earn.status.pending': '待结算', 'earn.status.paid': '已结算', 'earn.status.cancelled': '已取消',
  'earn.withdrawals': '提现记录', 'earn.toCard': '提现到购物卡余额', 'earn.amount': '金额（元）', 'earn.amountPh': '最多 {max}',
  'earn.toCardHint': '提现金额转入你的购物卡余额，结算时可直接抵扣', 'earn.amountInvalid': '请输入正确的金额',
  'earn.done': '已提现，购物卡余额 ¥{card}',
  'gift.parts': '分给几位好友', 'gift.partsHint': '每位好友领取一件，各自填写地址；24 小时未领取的部分自动退款',
  'gift.fromNamed': '{name} 送你一份礼物', 'gift.partsLeft': '共 {parts} 份，还剩 {left} 份', 'gift.myPart': '你已领取第 {no} 份，商家将发货到你的地址',
  'gift.partsTaken': '已领取 {taken}/{parts}', 'gift.part.waiting': '待领取', 'gift.part.refunded': '已退款', 'gift.part.accepted': '已领取',
  'activity.share_drop': '转发降价', 'drop.share': '转发', 'drop.buy': '购买', 'drop.tier': '{n} 位好友打开降 {off}%',
  'drop.tiers': '{tiers}', 'drop.progress': '{n}/{of} 位好友打开，再 {need} 人降 ¥{drop}', 'drop.done': '{n} 位好友已打开，已降到最低价',
  'rec.count': '{n} 位好友推荐', 'rec.action': '推荐给好友', 'rec.placeholder': '说说你为什么推荐它', 'rec.done': '已推荐给好友',
  'err.SHARER_BALANCE_LOW': '可提现收益不足（可提现 ¥{available}）',
  'err.GIFT_ALL_ACCEPTED': '礼物已被领完', 'err.GIFT_PART_HELD': '你已领取过这份礼物',
  'err.GIFT_PARTS_QUANTITY': '分成 {parts} 份的礼物需购买同一商品共 {parts} 件',
};

export const en = {
  'earn.title': 'My earnings', 'earn.available': 'Available', 'earn.pending': 'Pending', 'earn.paid': 'Settled', 'earn.withdrawn': 'Withdrawn',
  'earn.withdraw': 'Withdraw to balance', 'earn.hint': 'When a friend orders through your link, the commission becomes available once the order completes; refunded orders cancel it',
  'earn.items': 'Commissions', 'earn.none': 'No commissions yet: share products with friends', 'earn.product': 'Product', 'earn.rate': '{rate} commission',
  'earn.status.pending': 'Pending', 'earn.status.paid': 'Settled', 'earn.status.cancelled': 'Cancelled',
  'earn.withdrawals': 'Withdrawals', 'earn.toCard': 'To store credit', 'earn.amount': 'Amount (¥)', 'earn.amountPh': 'Up to {max}',
  'earn.toCardHint': 'The amount goes to your store credit, spendable at checkout', 'earn.amountInvalid': 'Enter a valid amount',
  'earn.done': 'Withdrawn: store credit ¥{card}',
  'gift.parts': 'Friends to share it with', 'gift.partsHint': 'Each friend accepts one item with their own address; parts not accepted in 24 h are refunded',
  'gift.fromNamed': '{name} sent you a gift', 'gift.partsLeft': '{left} of {parts} parts left', 'gift.myPart': 'You accepted part {no}: the shop ships it to your address',
  'gift.partsTaken': '{taken}/{parts} accepted', 'gift.part.waiting': 'Waiting', 'gift.part.refunded': 'Refunded', 'gift.part.accepted': 'Accepted',
  'activity.share_drop': 'Share to drop', 'drop.share': 'Share', 'drop.buy': 'Buy', 'drop.tier': '{off}% off at {n} friends',
  'drop.tiers': '{tiers}', 'drop.progress': '{n}/{of} friends opened; {need} more for ¥{drop} off', 'drop.done': '{n} friends opened: the lowest price is yours',
  'rec.count': '{n} friends recommend this', 'rec.action': 'Recommend to friends', 'rec.placeholder': 'Why do you recommend it?', 'rec.done': 'Recommended to your friends',
  'err.SHARER_BALANCE_LOW': 'Not enough earnings (¥{available} available)',
  'err.GIFT_ALL_ACCEPTED': 'Every part of this gift has been accepted', 'err.GIFT_PART_HELD': 'You already accepted a part of this gift',
  'err.GIFT_PARTS_QUANTITY': 'A gift of {parts} parts needs {parts} units of one item',
};


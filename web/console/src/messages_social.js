// Social-selling texts of the console (issue 14: share-to-drop in the activity form).
export const zh = {
  'activities.share_drop': '转发降价', 'activities.price.share_drop': '底价', 'activities.dropTiers': '降价阶梯',
  'activities.dropFriends': '位好友打开，降', 'activities.dropAdd': '添加阶梯', 'activities.dropRemove': '删除',
  'activities.dropRule': '{n} 人打开降 {off}%',
  'nav.distribution': '分销', 'dist.setRate': '设置佣金', 'dist.pending': '待结算佣金', 'dist.paid': '已结算佣金',
  'dist.cancelled': '已取消佣金', 'dist.orders': '分销订单', 'dist.rates': '商品佣金比例', 'dist.rate': '佣金比例', 'dist.edit': '修改',
  'dist.leaderboard': '分享员排行', 'dist.sharer': '分享员',
  'nav.chat-groups': '群接龙', 'cg.group': '群', 'cg.links': '链接数', 'cg.opens': '打开', 'cg.orders': '订单', 'cg.gmv': '成交额',
  'cg.orders14': '订单(14天)', 'cg.gmv14': '成交额(14天)', 'cg.date': '日期', 'cg.jielong': '接龙',
  'cg.label': '群 {no} · {name} 转发 · {date} 起', 'cg.someone': '分享员',
  'dist.hint': '好友通过分享链接下单、订单完成后，按比例从你的收入中支付给分享员；0 表示不参与分销',
};
export const en = {
  'activities.share_drop': 'Share to drop', 'activities.price.share_drop': 'Floor price', 'activities.dropTiers': 'Tiers',
  'activities.dropFriends': 'friends opened: off', 'activities.dropAdd': 'Add a tier', 'activities.dropRemove': 'Remove',
  'activities.dropRule': '{off}% off at {n} opens',
  'nav.distribution': 'Distribution', 'dist.setRate': 'Set commission', 'dist.pending': 'Pending', 'dist.paid': 'Paid',
  'dist.cancelled': 'Cancelled', 'dist.orders': 'Orders', 'dist.rates': 'Commission per product', 'dist.rate': 'Rate', 'dist.edit': 'Edit',
  'dist.leaderboard': 'Top sharers', 'dist.sharer': 'Sharer',
  'nav.chat-groups': 'Chat groups', 'cg.group': 'Group', 'cg.links': 'Links', 'cg.opens': 'Opens', 'cg.orders': 'Orders', 'cg.gmv': 'GMV',
  'cg.orders14': 'Orders (14 d)', 'cg.gmv14': 'GMV (14 d)', 'cg.date': 'Date', 'cg.jielong': 'Who ordered',
  'cg.label': 'Group {no} · first shared by {name} on {date}', 'cg.someone': 'a sharer',
  'dist.hint': 'Paid to the sharer out of your income when an order through their link completes; 0 takes the product out',
};

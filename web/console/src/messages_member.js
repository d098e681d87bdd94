// Membership-card texts of the console (会员: programme, levels, stores with their QR codes).
export const zh = {
  'nav.members': '会员',
  'members.programme': '会员卡', 'members.none': '还没有会员卡：填写下面的信息并保存，即可生成领卡二维码',
  'members.title': '卡名称', 'members.color': '卡面颜色', 'members.perYuan': '每元积分', 'members.validity': '积分有效天数',
  'members.limit': '发卡上限（空为不限）', 'members.issued': '已发 {n} 张', 'members.levels': '会员等级',
  'members.levelName': '等级名称', 'members.threshold': '成长值门槛', 'members.discount': '折扣（%）', 'members.multiplier': '积分倍数',
  'members.benefits': '权益说明', 'members.addLevel': '添加等级', 'members.levelsHint': '积分有效天数为 0 表示永不过期。第一个等级门槛为 0，门槛逐级递增；消费 1 元得 1 成长值。修改等级不会改变会员已有的积分。',
  'members.saved': '会员卡已保存', 'members.stores': '门店', 'members.addStore': '添加门店', 'members.editStore': '编辑门店',
  'members.storeName': '门店名称', 'members.address': '地址', 'members.hours': '营业时间', 'members.lat': '纬度', 'members.lng': '经度',
  'members.qr': '领卡二维码', 'members.link': '领卡链接', 'members.removeAsk': '删除门店「{name}」？它的领卡二维码将失效，已领的卡不受影响',
  'members.programmeQr': '会员卡二维码（不指定门店）', 'members.download': '下载',
  'members.list': '会员列表', 'members.cardNo': '卡号', 'members.member': '会员', 'members.points': '积分', 'members.growth': '成长值',
  'members.claimedAt': '领卡时间',
};

export const en = {
  'nav.members': 'Members',
  'members.programme': 'Membership card', 'members.none': 'No card yet: fill in the form below and save to get the claim QR code',
  'members.title': 'Card name', 'members.color': 'Cover colour', 'members.perYuan': 'Points per yuan', 'members.validity': 'Points last (days)',
  'members.limit': 'Issue limit (empty = none)', 'members.issued': '{n} issued', 'members.levels': 'Levels',
  'members.levelName': 'Level', 'members.threshold': 'Growth threshold', 'members.discount': 'Discount (%)', 'members.multiplier': 'Points multiplier',
  'members.benefits': 'Benefits', 'members.addLevel': 'Add level', 'members.levelsHint': 'Points lasting 0 days never expire. The first level starts at 0 and thresholds rise; 1 yuan spent = 1 growth. Editing levels never changes points already earned.',
  'members.saved': 'Card saved', 'members.stores': 'Stores', 'members.addStore': 'Add store', 'members.editStore': 'Edit store',
  'members.storeName': 'Name', 'members.address': 'Address', 'members.hours': 'Opening hours', 'members.lat': 'Latitude', 'members.lng': 'Longitude',
  'members.qr': 'Claim QR code', 'members.link': 'Claim link', 'members.removeAsk': 'Delete store "{name}"? Its claim QR code stops working; cards already claimed stay',
  'members.programmeQr': 'Card QR code (no store)', 'members.download': 'Download',
  'members.list': 'Members', 'members.cardNo': 'Card no.', 'members.member': 'Member', 'members.points': 'Points', 'members.growth': 'Growth',
  'members.claimedAt': 'Claimed at',
};

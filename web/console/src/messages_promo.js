// Coupon texts of the console (优惠券: create, claimed / used / remaining, stop, the claim QR).
export const zh = {
  'nav.coupons': '优惠券',
  'coupons.create': '新建优惠券', 'coupons.title': '名称', 'coupons.titlePh': '如：满100减10（可不填）',
  'coupons.kind': '类型', 'coupons.kind.fixed': '立减券', 'coupons.kind.threshold': '满减券', 'coupons.kind.percent': '折扣券',
  'coupons.amount': '面额', 'coupons.minSpend': '使用门槛（满多少可用，0 为无门槛）', 'coupons.percent': '折扣（如 9 表示 9 折）',
  'coupons.cap': '最多优惠（0 为不限）', 'coupons.quota': '发放总量', 'coupons.perUser': '每人限领',
  'coupons.validDays': '领取后有效天数', 'coupons.face': '优惠', 'coupons.claimed': '已领', 'coupons.used': '已用',
  'coupons.remaining': '剩余', 'coupons.status': '状态', 'coupons.status.active': '发放中', 'coupons.status.stopped': '已停止',
  'coupons.stop': '停止发放', 'coupons.stopAsk': '停止发放「{title}」？已领取的券仍可使用', 'coupons.stopped': '已停止发放',
  'coupons.created': '优惠券已创建', 'coupons.qr': '领券二维码', 'coupons.link': '领券链接', 'coupons.download': '下载',
  'coupons.none': '还没有优惠券', 'coupons.faceFixed': '减 {amount}', 'coupons.faceThreshold': '满 {min} 减 {amount}',
  'coupons.facePercent': '{n} 折', 'coupons.noMin': '无门槛', 'coupons.minSpendShort': '满 {min} 可用',
  'coupons.copy': '复制链接', 'coupons.copied': '链接已复制', 'coupons.qrHint': '顾客扫码即可领券（打印贴在收银台，或发到群里）',
};

export const en = {
  'nav.coupons': 'Coupons',
  'coupons.create': 'New coupon', 'coupons.title': 'Name', 'coupons.titlePh': 'e.g. 10 off 100 (optional)',
  'coupons.kind': 'Kind', 'coupons.kind.fixed': 'Amount off', 'coupons.kind.threshold': 'Spend & save', 'coupons.kind.percent': 'Percent off',
  'coupons.amount': 'Amount', 'coupons.minSpend': 'Minimum spend (0 = none)', 'coupons.percent': 'Price paid (e.g. 9 = 90%)',
  'coupons.cap': 'Most off (0 = no cap)', 'coupons.quota': 'Total', 'coupons.perUser': 'Per person',
  'coupons.validDays': 'Valid days after claiming', 'coupons.face': 'Offer', 'coupons.claimed': 'Claimed', 'coupons.used': 'Used',
  'coupons.remaining': 'Left', 'coupons.status': 'Status', 'coupons.status.active': 'Handing out', 'coupons.status.stopped': 'Stopped',
  'coupons.stop': 'Stop', 'coupons.stopAsk': 'Stop handing out "{title}"? Coupons already claimed stay usable', 'coupons.stopped': 'Stopped',
  'coupons.created': 'Coupon created', 'coupons.qr': 'Claim QR code', 'coupons.link': 'Claim link', 'coupons.download': 'Download',
  'coupons.none': 'No coupons yet', 'coupons.faceFixed': '{amount} off', 'coupons.faceThreshold': '{amount} off {min}',
  'coupons.facePercent': '{n}% off', 'coupons.noMin': 'No minimum', 'coupons.minSpendShort': 'Over {min}',
  'coupons.copy': 'Copy link', 'coupons.copied': 'Link copied', 'coupons.qrHint': 'Customers scan it to claim (print it at the till, or post it in a chat group)',
};

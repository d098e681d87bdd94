// Live-room texts of the console (issue 18: rooms, products at live prices, go live, pin, end).
export const zh = {
  'nav.live': '直播', 'live.create': '创建直播间', 'live.title': '直播标题', 'live.streamUrl': '直播流地址', 'live.cover': '封面图',
  'live.startsAt': '开播时间', 'live.products': '直播商品', 'live.addProduct': '添加商品', 'live.livePrice': '直播价（元）',
  'live.liveStock': '直播库存', 'live.allocated': '已分配', 'live.sold': '已售', 'live.left': '剩余', 'live.pin': '讲解', 'live.pinned': '讲解中',
  'live.unpin': '取消讲解', 'live.start': '开播', 'live.end': '下播', 'live.cancel': '取消直播', 'live.status': '状态',
  'live.status.scheduled': '预告', 'live.status.live': '直播中', 'live.status.ended': '已结束', 'live.status.cancelled': '已取消',
  'live.orders': '订单', 'live.likes': '点赞', 'live.comments': '评论', 'live.reminders': '预约', 'live.open': '观看页',
  'live.endAsk': '下播后剩余直播库存退回商品库存，确定下播？', 'live.none': '还没有直播间', 'live.remove': '删除',
  'live.blockedWords': '屏蔽词', 'live.blockedWordsHint': '每行一个词；观众发言含有其中任何一个时将被拒绝（最多 200 个）',
  'live.save': '保存', 'live.saved': '已保存', 'live.deleteComment': '删除', 'live.mute': '禁言', 'live.muted': '已禁言该观众',
  'live.deleted': '已删除',
};
export const en = {
  'nav.live': 'Live', 'live.create': 'New live room', 'live.title': 'Title', 'live.streamUrl': 'Stream URL', 'live.cover': 'Cover image',
  'live.startsAt': 'Starts at', 'live.products': 'Products', 'live.addProduct': 'Add product', 'live.livePrice': 'Live price (yuan)',
  'live.liveStock': 'Live stock', 'live.allocated': 'Allocated', 'live.sold': 'Sold', 'live.left': 'Left', 'live.pin': 'Present', 'live.pinned': 'On now',
  'live.unpin': 'Stop presenting', 'live.start': 'Go live', 'live.end': 'End', 'live.cancel': 'Cancel', 'live.status': 'Status',
  'live.status.scheduled': 'Upcoming', 'live.status.live': 'Live', 'live.status.ended': 'Ended', 'live.status.cancelled': 'Cancelled',
  'live.orders': 'Orders', 'live.likes': 'Likes', 'live.comments': 'Comments', 'live.reminders': 'Reminders', 'live.open': 'Viewer page',
  'live.endAsk': 'What is left of the live stock goes back to the products. End the live?', 'live.none': 'No live rooms yet', 'live.remove': 'Remove',
  'live.blockedWords': 'Blocked words', 'live.blockedWordsHint': 'One per line; a comment containing any of them is refused (at most 200)',
  'live.save': 'Save', 'live.saved': 'Saved', 'live.deleteComment': 'Delete', 'live.mute': 'Mute', 'live.muted': 'Viewer muted',
  'live.deleted': 'Deleted',
};

// Live-room texts (直播: the room page, 预约, the ticker, comments), merged into the shop's messages.
export const zh = {
  'live.title': '直播间', 'live.notFound': '直播间不存在或已取消',
  'live.status.scheduled': '预告', 'live.status.live': '直播中', 'live.status.ended': '已结束', 'live.status.cancelled': '已取消',
  'live.viewers': '{n} 人在看', 'live.likes': '{n} 赞', 'live.like': '点赞',
  'live.pinned': '讲解中', 'live.left': '剩余 {n} 件', 'live.soldOut': '已抢光', 'live.buy': '马上抢',
  'live.remind': '预约直播', 'live.reminded': '已预约，开播时提醒你', 'live.startsAt': '{time} 开播',
  'live.ordered': '{name} 刚刚下单 {title}', 'live.commentPlaceholder': '说点什么…', 'live.send': '发送',
  'live.ended': '直播已结束，感谢观看', 'live.products': '直播商品', 'live.price': '直播价',
  'live.rooms': '直播', 'live.none': '暂时没有直播', 'live.remindedShort': '已预约', 'live.changeAddress': '换一个',
  'live.inboxLine': '{shop} 的直播「{title}」开播啦', 'live.enterRoom': '进入直播间',
  'live.myReminders': '我的预约', 'live.noReminders': '还没有预约直播', 'live.watch': '去看看',
};

export const en = {
  'live.title': 'Live room', 'live.notFound': 'This live room does not exist or was cancelled',
  'live.status.scheduled': 'Upcoming', 'live.status.live': 'Live', 'live.status.ended': 'Ended', 'live.status.cancelled': 'Cancelled',
  'live.viewers': '{n} watching', 'live.likes': '{n} likes', 'live.like': 'Like',
  'live.pinned': 'On now', 'live.left': '{n} left', 'live.soldOut': 'Sold out', 'live.buy': 'Buy now',
  'live.remind': 'Remind me', 'live.reminded': 'We will tell you when it starts', 'live.startsAt': 'starts {time}',
  'live.ordered': '{name} just ordered {title}', 'live.commentPlaceholder': 'Say something…', 'live.send': 'Send',
  'live.ended': 'The live has ended. Thanks for watching', 'live.products': 'Products', 'live.price': 'Live price',
  'live.rooms': 'Live', 'live.none': 'No live rooms right now', 'live.remindedShort': 'Booked', 'live.changeAddress': 'Change',
  'live.inboxLine': '{shop} is live: {title}', 'live.enterRoom': 'Open the room',
  'live.myReminders': 'My reminders', 'live.noReminders': 'No reminders yet', 'live.watch': 'Watch',
};

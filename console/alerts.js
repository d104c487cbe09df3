// The merchant console's alerts: what GET /merchants/{merchantId}/alerts answers, made ready to show.
// Pure functions (no DOM, no fetch), so that tests/console runs them under node.

export const REFRESH_SECONDS = 15;
const BADGE_MAX = 99;
const CHINA_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** A moment (ISO) as month, day and time in China: 11/25 12:05. */
export function chinaTime(iso) {
  return CHINA_TIME.format(new Date(iso));
}

/** How many alerts are unread; a full first page may hide more, so the badge says so ("20+"). */
export function badgeText(page) {
  const unread = page.items.filter((item) => !item.read).length;
  if (unread === 0) return "";
  const more = page.next_cursor && unread === page.items.length;
  return unread > BADGE_MAX ? `${BADGE_MAX}+` : `${unread}${more ? "+" : ""}`;
}

/** One alert as the list shows it: what kind, its words, when (China time), whether read, and its order. */
export function alertRow(item) {
  const data = item.data || {};
  return {
    id: item.id,
    kind: data.type === "low_stock" ? "库存" : "订单",
    title: item.title,
    body: item.body,
    when: chinaTime(item.sent_at),
    unread: !item.read,
    orderId: data.order_id || null,
  };
}

/** The newest alert's time: marking up to it reads everything the merchant has seen. */
export function readUpTo(page) {
  return page.items.length ? page.items[0].sent_at : null;
}

/** The next page appended to what is shown, without repeating one shown already (an alert, or an order that moved up). */
export function appendPage(shown, page) {
  const seen = new Set(shown.map((item) => item.id));
  return shown.concat(page.items.filter((item) => !seen.has(item.id)));
}

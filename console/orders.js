// The merchant console's orders: what GET /orders?role=merchant answers, made ready to show, and what the
// merchant may do with each. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { kitchenPrintLabel } from "./printer.js";

const CHINA = "Asia/Shanghai";
const CHINA_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: CHINA, year: "numeric", month: "2-digit", day: "2-digit" });
const CHINA_CLOCK = new Intl.DateTimeFormat("zh-CN", {
  timeZone: CHINA,
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const DAY_MS = 24 * 60 * 60 * 1000;

export const STATUS_LABELS = {
  PENDING_PAYMENT: "待支付",
  PAID: "待接单",
  CONFIRMED: "已接单，等骑手",
  ASSIGNED: "骑手已接单",
  PICKING_UP: "骑手取餐中",
  DELIVERING: "配送中",
  DELIVERED: "已送达",
  DELIVERY_FAILED: "配送失败",
  RETURNING: "退回中",
  RETURNED: "已退回",
  CANCELLED: "已取消",
};

export const CHANNEL_LABELS = { mini_program: "小程序", phone: "电话", walk_in: "到店", eleme: "饿了么" };

/** What the merchant may do with an order, as the API allows it (orders/transitions.py, orders/cancellation.py). */
export const ACTIONS = {
  confirm: "接单",
  reject: "拒单",
  approveCancel: "同意取消",
  refuseCancel: "拒绝取消",
  returned: "确认收到退回",
  print: "打印小票",
  reprint: "云打印补打",
};

// the statuses whose food the kitchen still makes or hands over: their ticket may be printed
const IN_THE_KITCHEN = new Set(["PAID", "CONFIRMED", "ASSIGNED", "PICKING_UP"]);

/** The China-time hour and minute of ``moment`` (a Date): 09:05, 00:30 (never 24:30). */
export function chinaClock(moment) {
  return CHINA_CLOCK.format(moment);
}

/** The China-time day (YYYY-MM-DD) ``daysBack`` days before ``now``: the API's ``from``/``to`` are China days. */
export function chinaDay(now, daysBack = 0) {
  return CHINA_DAY.format(new Date(now.getTime() - daysBack * DAY_MS));
}

/** Fen as the customer sees it: ¥41.00. */
export function yuan(fen) {
  return `¥${(fen / 100).toFixed(2)}`;
}

/** Yuan as people type them (12, 12.5, ¥12.50) in fen; null if it is not an amount of yuan and fen. */
export function fenOf(text) {
  const typed = (text ?? "").trim().replace(/^[¥￥]/, "");
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(typed)) return null;
  const [whole, cents = ""] = typed.split(".");
  return Number(whole) * 100 + Number(cents.padEnd(2, "0"));
}

/** The short reference people read out, as in the alerts and messages: the id's last six characters. */
export function orderRef(orderId) {
  return orderId.slice(-6).toUpperCase();
}

function answersFor(order) {
  if (order.status === "PAID") return ["confirm", "reject"];
  if (order.cancel_request?.status === "PENDING") return ["approveCancel", "refuseCancel"];
  if (order.status === "RETURNING") return ["returned"];
  return [];
}

// 打印小票 is the browser's; 云打印补打 prints again on the shop's cloud printer, once the shop has taken the order and
// if it had one then (the order has a kitchen_print).
function actionsFor(order) {
  const printed = IN_THE_KITCHEN.has(order.status) ? ["print"] : [];
  if (order.kitchen_print && order.status !== "PAID" && IN_THE_KITCHEN.has(order.status)) printed.push("reprint");
  return [...answersFor(order), ...printed];
}

/** One order as the lists show it. */
export function orderRow(order) {
  const amounts = order.amounts || {};
  const address = order.address || {};
  return {
    id: order.id,
    ref: orderRef(order.id),
    when: chinaClock(new Date(order.created_at)),
    scheduled: order.scheduled_for ? `预约 ${chinaTime(order.scheduled_for)}` : "",
    status: STATUS_LABELS[order.status] || order.status,
    channel: CHANNEL_LABELS[order.channel] || order.channel,
    items: (order.items || []).map((item) => `${item.name}×${item.quantity}`).join("，"),
    total: yuan(amounts.total || 0),
    collect: amounts.collect_on_delivery ? `货到付款 ${yuan(amounts.collect_on_delivery)}` : "",
    contact: [address.contact_name, address.contact_phone].filter(Boolean).join(" "),
    address: address.detail || "",
    note: order.note || "",
    cancelRequest: order.cancel_request?.status === "PENDING" ? order.cancel_request.reason : "",
    ticket: kitchenPrintLabel(order.kitchen_print), // on the shop's cloud printer; 打印小票 stays, to print it again
    ticketFailed: order.kitchen_print?.state === "failed",
    actions: actionsFor(order),
  };
}

// The operators' order desk: what a call to support names an order by (the reference people read out, the whole
// id, the customer's phone), or today's orders of one status, made into the API's lookup; each order found made
// ready to show with its history and money, and what an operator may do with it. Pure functions (no DOM, no fetch),
// so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { CHANNEL_LABELS, STATUS_LABELS, chinaDay, fenOf, orderRef, yuan } from "./orders.js";
import { e164 } from "./phone_order.js";

const FOUND_AT_MOST = "20";
// the statuses an admin may cancel from (orders/transitions.py: an admin may make any move the table has)
const CANCELLABLE = new Set(["PENDING_PAYMENT", "PAID", "CONFIRMED", "ASSIGNED", "PICKING_UP"]);
const REFUND_LABELS = { PROCESSING: "退款处理中", FAILED: "退款失败，待处理", REFUNDED: "已全额退款", PARTIALLY_REFUNDED: "部分退款" };
const COMPLAINT_LABELS = { PENDING: "待裁定", UPHELD: "成立", DISMISSED: "不成立" };

const PAY_CHANNELS = { wechat: "微信支付", alipay: "支付宝", sandbox: "沙箱支付" };
const PAYMENT_STATES = { CREATED: "未支付", SUCCEEDED: "已支付", CLOSED: "已关闭" };
const REFUND_STATES = { PROCESSING: "退款中", SUCCEEDED: "已退款", FAILED: "退款失败" };

/** What an operator may do with an order found: show or hide its payments and refunds, cancel it, refund it. */
export const DESK_ACTIONS = { money: "款项", cancel: "取消订单", refund: "退款" };

/**
 * The lookup the operator typed, as the API's path: ``{ path }``, or ``{ error }`` to say. An order's reference
 * (AB12CD, #ab12cd), its whole id (ord_…), or the customer's phone as people say it (138 0000 0000, +86…).
 */
export function lookupPath(text) {
  const typed = (text ?? "").trim();
  if (/^ord_[0-9a-f]{32}$/i.test(typed)) return { path: `/orders/${typed.toLowerCase()}` };
  const ref = typed.replace(/^#/, "");
  if (/^[0-9a-f]{6}$/i.test(ref)) return { path: listPath({ ref: ref.toUpperCase() }) };
  const phone = e164(typed);
  if (phone) return { path: listPath({ phone }) };
  return { error: "请输入单号（6 位，如 AB12CD）、完整订单号（ord_…）或顾客手机号。" };
}

/** The platform's orders of one status placed today (China time), newest first, to watch them: where orders wait. */
export function todayPath(status, now) {
  return listPath({ status, from: chinaDay(now), to: chinaDay(now) });
}

/** The next page of a list the desk shows. */
export function nextPath(path, cursor) {
  return `${path}&${new URLSearchParams({ cursor })}`;
}

function listPath(query) {
  return `/orders?${new URLSearchParams({ role: "admin", ...query, limit: FOUND_AT_MOST })}`;
}

/** The orders an answer holds: a page of them (it has a cursor), or the one asked for by id (it has its dishes). */
export function ordersIn(answer) {
  return "next_cursor" in answer ? answer.items : [answer];
}

/**
 * Fen still refundable of an order paid online (the mini-program's channels): its total less what was given back.
 * 0 for an order never paid, paid at the door or in the shop, or paid on another platform (Ele.me refunds its own).
 */
export function refundable(order) {
  const paidOnline = order.channel === "mini_program" && (order.timeline || []).some((entry) => entry.status === "PAID");
  if (!paidOnline || order.amounts.collect_on_delivery) return 0;
  return Math.max(0, order.amounts.total - (order.refund?.refunded || 0));
}

/** A refund typed in yuan (12, 12.5, ¥12.50) as fen, from 1 fen to ``most``; null if it is not one. */
export function refundFen(text, most) {
  const fen = fenOf(text);
  return fen !== null && fen >= 1 && fen <= most ? fen : null;
}

/** The order's moves as one line: 待支付 11/25 12:01 → 待接单 11/25 12:02 (why, when one was given). */
export function timelineText(order) {
  return (order.timeline || [])
    .map((entry) => {
      const why = entry.reason ? `（${entry.reason}）` : "";
      return `${STATUS_LABELS[entry.status] || entry.status} ${chinaTime(entry.at)}${why}`;
    })
    .join(" → ");
}

function deliveredBy(order) {
  if (order.rider_id) return `骑手 ${order.rider_id}`;
  if (order.carrier) {
    const rider = order.carrier.rider ? ` · ${[order.carrier.rider.name, order.carrier.rider.phone].filter(Boolean).join(" ")}` : "";
    return `达达 ${order.carrier.status_label || "已发单"}${rider}`;
  }
  return "";
}

/** One order as the desk shows it: its head, status, the lines an operator reads, and what they may do. */
export function deskRow(order) {
  const amounts = order.amounts;
  const address = order.address || {};
  const complaint = order.complaint ? `投诉（${COMPLAINT_LABELS[order.complaint.status]}）：${order.complaint.reason}` : "";
  const money = [
    (order.items || []).map((item) => `${item.name}×${item.quantity}`).join("，") || (order.kind === "errand" ? "跑腿" : ""),
    yuan(amounts.total),
    amounts.collect_on_delivery ? `货到付款 ${yuan(amounts.collect_on_delivery)}` : "",
    order.refund ? `${REFUND_LABELS[order.refund.status]} ${yuan(order.refund.refunded)}` : "",
  ];
  const lines = [
    money.filter(Boolean).join(" · "),
    [order.pickup?.name, "→", address.contact_name, address.contact_phone, address.detail].filter(Boolean).join(" "),
    deliveredBy(order),
    order.cancel_reason ? `取消原因：${order.cancel_reason}` : "",
    complaint,
    timelineText(order),
  ];
  const actions = ["money"];
  if (CANCELLABLE.has(order.status)) actions.push("cancel");
  if (refundable(order) > 0 && order.refund?.status !== "PROCESSING") actions.push("refund");
  return {
    id: order.id,
    head: `#${orderRef(order.id)} ${chinaTime(order.created_at)} ${CHANNEL_LABELS[order.channel] || order.channel}`,
    status: `${STATUS_LABELS[order.status] || order.status}${order.late ? " · 超时" : ""}`,
    lines: lines.filter(Boolean),
    actions,
    refundable: refundable(order),
  };
}

/** An order's payments and refunds (GET /orders/{orderId}/payments), oldest first, each a line, with the provider's
 * reason for a refund that failed. */
export function moneyLines(money) {
  const payments = money.payments.map((payment) => {
    const when = payment.paid_at ? ` ${chinaTime(payment.paid_at)}` : "";
    const state = PAYMENT_STATES[payment.status] || payment.status;
    return `${PAY_CHANNELS[payment.channel] || payment.channel} ${yuan(payment.amount)} ${state}${when} · ${payment.payment_id}`;
  });
  const refunds = money.refunds.map((refund) => {
    const failure = refund.failure ? `（${refund.failure}）` : "";
    const state = REFUND_STATES[refund.status] || refund.status;
    return `退款 ${yuan(refund.amount)} ${state} ${chinaTime(refund.created_at)}：${refund.reason}${failure}`;
  });
  const lines = [...payments, ...refunds];
  return lines.length ? lines : ["没有线上付款或退款。"];
}

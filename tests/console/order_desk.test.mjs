// The operators' order desk (console/order_desk.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  deskRow,
  lookupPath,
  moneyLines,
  nextPath,
  ordersIn,
  refundFen,
  refundable,
  timelineText,
  todayPath,
} from "../../console/order_desk.js";

const ID = "ord_0123456789abcdef0123456789ab12cd";
const order = (fields = {}) => ({
  id: ID,
  status: "DELIVERING",
  kind: "food",
  channel: "mini_program",
  rider_id: "usr_rider_1",
  items: [{ name: "宫保鸡丁", quantity: 2 }],
  amounts: { total: 4600, collect_on_delivery: 0 },
  address: { contact_name: "王先生", contact_phone: "+8613900001111", detail: "人民广场 1 号楼" },
  pickup: { name: "老王面馆" },
  timeline: [
    { status: "PENDING_PAYMENT", at: "2026-11-28T04:01:00.000Z", by: "usr_c" },
    { status: "PAID", at: "2026-11-28T04:02:00.000Z", by: "system" },
    { status: "CONFIRMED", at: "2026-11-28T04:03:00.000Z", by: "usr_owner" },
  ],
  created_at: "2026-11-28T04:01:00.000Z",
  late: false,
  ...fields,
});

test("what support hears becomes the lookup: a reference, a whole id, a phone as people say it", () => {
  assert.deepEqual(lookupPath(" #ab12cd "), { path: "/orders?role=admin&ref=AB12CD&limit=20" });
  assert.deepEqual(lookupPath("AB12CD"), { path: "/orders?role=admin&ref=AB12CD&limit=20" });
  assert.deepEqual(lookupPath(ID.toUpperCase().replace("ORD_", "ord_")), { path: `/orders/${ID}` });
  assert.deepEqual(lookupPath("139 0000 1111"), { path: "/orders?role=admin&phone=%2B8613900001111&limit=20" });
  assert.match(lookupPath("AB12").error, /单号/);
  assert.match(lookupPath("").error, /手机号/);
});

test("a page of orders and a single order read the same", () => {
  assert.deepEqual(ordersIn({ items: [order()], next_cursor: null }), [order()]);
  assert.deepEqual(ordersIn(order()), [order()]);
});

test("an order found shows its reference, its shop and customer, who carries it and every move", () => {
  const row = deskRow(order());
  assert.equal(row.head, "#AB12CD 11/28 12:01 小程序");
  assert.equal(row.status, "配送中");
  assert.deepEqual(row.lines, [
    "宫保鸡丁×2 · ¥46.00",
    "老王面馆 → 王先生 +8613900001111 人民广场 1 号楼",
    "骑手 usr_rider_1",
    "待支付 11/28 12:01 → 待接单 11/28 12:02 → 已接单，等骑手 11/28 12:03",
  ]);
  assert.equal(deskRow(order({ late: true })).status, "配送中 · 超时");
});

test("a cancelled order says why, a complaint its verdict, a carrier its rider, a refund how much", () => {
  const row = deskRow(
    order({
      status: "CANCELLED",
      rider_id: null,
      cancel_reason: "顾客来电取消",
      carrier: { name: "dada", status_label: "配送中", rider: { name: "赵师傅", phone: "+8613700000000" } },
      complaint: { reason: "餐洒了", status: "PENDING" },
      refund: { status: "REFUNDED", refunded: 4600 },
      timeline: [{ status: "CANCELLED", at: "2026-11-28T04:05:00.000Z", by: "admin:usr_a", reason: "顾客来电取消" }],
    }),
  );
  assert.deepEqual(row.lines, [
    "宫保鸡丁×2 · ¥46.00 · 已全额退款 ¥46.00",
    "老王面馆 → 王先生 +8613900001111 人民广场 1 号楼",
    "达达 配送中 · 赵师傅 +8613700000000",
    "取消原因：顾客来电取消",
    "投诉（待裁定）：餐洒了",
    "已取消 11/28 12:05（顾客来电取消）",
  ]);
  assert.deepEqual(row.actions, ["money"]);
});

test("an operator may cancel until the food is on its way, and refund what was paid online and not given back", () => {
  assert.deepEqual(deskRow(order({ status: "PICKING_UP" })).actions, ["money", "cancel", "refund"]);
  assert.deepEqual(deskRow(order()).actions, ["money", "refund"]); // on its way: too late to cancel
  const unpaid = order({ status: "PENDING_PAYMENT", timeline: order().timeline.slice(0, 1) });
  assert.deepEqual(deskRow(unpaid).actions, ["money", "cancel"]);
  assert.deepEqual(deskRow(order({ refund: { status: "PROCESSING", refunded: 0 } })).actions, ["money"]);
  assert.equal(refundable(order({ refund: { status: "PARTIALLY_REFUNDED", refunded: 600 } })), 4000);
  assert.equal(refundable(order({ refund: { status: "REFUNDED", refunded: 4600 } })), 0);
  assert.equal(refundable(order({ amounts: { total: 4600, collect_on_delivery: 4600 } })), 0); // cash at the door
  assert.equal(refundable(order({ channel: "eleme" })), 0); // Ele.me refunds its own
  assert.equal(refundable(order({ channel: "walk_in" })), 0); // paid in the shop
});

test("a refund is typed in yuan and must be within what is left", () => {
  assert.equal(refundFen("12", 4600), 1200);
  assert.equal(refundFen(" ¥12.5 ", 4600), 1250);
  assert.equal(refundFen("0.01", 4600), 1);
  assert.equal(refundFen("46.00", 4600), 4600);
  assert.equal(refundFen("46.01", 4600), null);
  assert.equal(refundFen("0", 4600), null);
  assert.equal(refundFen("1.234", 4600), null);
  assert.equal(refundFen("十元", 4600), null);
});

test("the timeline of an order without moves is empty", () => {
  assert.equal(timelineText({ timeline: [] }), "");
});

test("an order's money: each payment, then each refund with its reason and why a failed one failed", () => {
  const money = {
    payments: [
      { payment_id: "pay_1", channel: "wechat", amount: 4600, status: "SUCCEEDED", paid_at: "2026-11-28T04:02:00.000Z" },
      { payment_id: "pay_0", channel: "alipay", amount: 4600, status: "CLOSED", paid_at: null },
    ],
    refunds: [
      { amount: 150, status: "SUCCEEDED", created_at: "2026-11-28T04:30:00.000Z", reason: "少送饮料", failure: null },
      { amount: 500, status: "FAILED", created_at: "2026-11-28T04:40:00.000Z", reason: "补偿", failure: "USER_ACCOUNT_ABNORMAL: 账户异常" },
    ],
  };
  assert.deepEqual(moneyLines(money), [
    "微信支付 ¥46.00 已支付 11/28 12:02 · pay_1",
    "支付宝 ¥46.00 已关闭 · pay_0",
    "退款 ¥1.50 已退款 11/28 12:30：少送饮料",
    "退款 ¥5.00 退款失败 11/28 12:40：补偿（USER_ACCOUNT_ABNORMAL: 账户异常）",
  ]);
  assert.deepEqual(moneyLines({ payments: [], refunds: [] }), ["没有线上付款或退款。"]);
});

test("the platform's orders of one status placed today (China time), and the next page of a list", () => {
  const path = todayPath("CONFIRMED", new Date("2026-11-27T17:30:00Z"));
  assert.equal(path, "/orders?role=admin&status=CONFIRMED&from=2026-11-28&to=2026-11-28&limit=20");
  assert.equal(nextPath(path, "eyJ+/="), `${path}&cursor=eyJ%2B%2F%3D`);
});

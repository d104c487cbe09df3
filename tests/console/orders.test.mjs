// The console's order logic (console/orders.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chinaDay, orderRef, orderRow, yuan } from "../../console/orders.js";

const order = (fields = {}) => ({
  id: "ord_1dce5662f2ab52c48d228793b6877946",
  status: "PAID",
  channel: "mini_program",
  items: [
    { product_id: "prd_1", name: "生煎包 (4只)", unit_price: 1800, quantity: 2, line_total: 3600 },
    { product_id: "prd_2", name: "牛肉粉丝汤", unit_price: 1600, quantity: 1, line_total: 1600 },
  ],
  amounts: { items_total: 5200, delivery_fee: 500, discount: 0, total: 5700, collect_on_delivery: 0 },
  address: { lat: 31.2304, lng: 121.4737, detail: "人民广场 1 号楼 1201", contact_name: "陈女士", contact_phone: "+8613800000301" },
  created_at: "2026-11-27T16:05:00.000Z",
  scheduled_for: null,
  note: null,
  cancel_request: null,
  ...fields,
});

test("a new order shows its reference, China time, channel, what and for whom, and can be taken or refused", () => {
  assert.deepEqual(orderRow(order()), {
    id: "ord_1dce5662f2ab52c48d228793b6877946",
    ref: "877946",
    when: "00:05",
    scheduled: "",
    status: "待接单",
    channel: "小程序",
    items: "生煎包 (4只)×2，牛肉粉丝汤×1",
    total: "¥57.00",
    collect: "",
    contact: "陈女士 +8613800000301",
    address: "人民广场 1 号楼 1201",
    note: "",
    cancelRequest: "",
    ticket: "",
    ticketFailed: false,
    actions: ["confirm", "reject", "print"],
  });
});

test("a taken order says how its ticket went on the cloud printer, and prints again there or in the browser", () => {
  const printed = (kitchenPrint) => orderRow(order({ status: "CONFIRMED", kitchen_print: kitchenPrint }));
  const at = "2026-11-27T16:06:00.000Z";
  const sent = printed({ state: "sent", attempts: 1, reason: null, at });
  assert.deepEqual([sent.ticket, sent.ticketFailed, sent.actions], ["小票已发送到打印机", false, ["print", "reprint"]]);
  const failed = printed({ state: "failed", attempts: 1, reason: "打印机编号错误或未添加", at });
  assert.deepEqual([failed.ticket, failed.ticketFailed], ["小票打印失败：打印机编号错误或未添加", true]);
  assert.deepEqual([printed(null).ticket, printed(null).actions], ["", ["print"]], "no cloud printer then");
  const waiting = orderRow(order({ status: "PAID", kitchen_print: null }));
  assert.deepEqual(waiting.actions, ["confirm", "reject", "print"], "not taken yet: nothing to print again");
});

test("a phone order paid on delivery says what the rider collects; a scheduled one says when", () => {
  const row = orderRow(
    order({
      channel: "phone",
      amounts: { total: 5700, collect_on_delivery: 5700 },
      scheduled_for: "2026-11-28T04:30:00.000Z",
      note: "不要辣",
    }),
  );
  assert.equal(row.channel, "电话");
  assert.equal(row.collect, "货到付款 ¥57.00");
  assert.equal(row.scheduled, "预约 11/28 12:30");
  assert.equal(row.note, "不要辣");
});

test("each state offers only what the merchant may do then, and a ticket while the kitchen has the order", () => {
  const actions = (fields) => orderRow(order(fields)).actions;
  assert.deepEqual(actions({ status: "CONFIRMED" }), ["print"]);
  assert.deepEqual(actions({ status: "PICKING_UP" }), ["print"]);
  assert.deepEqual(actions({ status: "DELIVERING" }), []);
  assert.deepEqual(actions({ status: "CANCELLED" }), []);
  const asked = { status: "CONFIRMED", cancel_request: { reason: "买错了", at: "2026-11-27T16:06:00.000Z", status: "PENDING" } };
  assert.deepEqual(actions(asked), ["approveCancel", "refuseCancel", "print"]);
  assert.equal(orderRow(order(asked)).cancelRequest, "买错了");
  const answered = { ...asked, cancel_request: { ...asked.cancel_request, status: "REJECTED" } };
  assert.deepEqual(actions(answered), ["print"]);
  assert.equal(orderRow(order(answered)).cancelRequest, "");
  assert.deepEqual(actions({ status: "RETURNING" }), ["returned"]);
});

test("an unknown status or channel shows as the API names it", () => {
  const row = orderRow(order({ status: "SOMETHING_NEW", channel: "meituan" }));
  assert.equal(row.status, "SOMETHING_NEW");
  assert.equal(row.channel, "meituan");
  assert.deepEqual(row.actions, []);
});

test("days are China days: 23:30 UTC is already the next day there", () => {
  const lateUtc = new Date("2026-11-27T23:30:00.000Z");
  assert.equal(chinaDay(lateUtc), "2026-11-28");
  assert.equal(chinaDay(lateUtc, 1), "2026-11-27");
  assert.equal(chinaDay(new Date("2026-11-27T15:59:59.000Z")), "2026-11-27");
});

test("money is fen shown as yuan, and the reference is the id's last six characters", () => {
  assert.equal(yuan(0), "¥0.00");
  assert.equal(yuan(4105), "¥41.05");
  assert.equal(orderRef("ord_abcdef123456"), "123456");
  assert.equal(orderRef("ord_0000001a2b3c"), "1A2B3C");
});

// The kitchen ticket (console/ticket.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ticketLines } from "../../console/ticket.js";

const ORDER = {
  id: "ord_0123456789abcdef0123456789ab12cd",
  channel: "phone",
  created_at: "2026-11-28T04:01:00.000Z",
  items: [
    { name: "生煎包 (4只)", quantity: 2, line_total: 3600 },
    { name: "酸辣汤", quantity: 1, line_total: 800 },
  ],
  amounts: { items_total: 4400, delivery_fee: 500, discount: 0, total: 4900, collect_on_delivery: 4900 },
  note: "少辣",
  address: { contact_name: "陈女士", contact_phone: "+8613800000301", detail: "人民广场 1 号楼 1201" },
};

test("a ticket: the shop, the reference, the dishes, the money with what the rider collects, the note, where to", () => {
  const rule = "-".repeat(32);
  assert.deepEqual(ticketLines(ORDER, "老王生煎"), [
    "老王生煎",
    "#AB12CD  电话",
    "下单 11/28 12:01",
    rule,
    "生煎包 (4只) ×2  ¥36.00",
    "酸辣汤 ×1  ¥8.00",
    rule,
    "菜品 ¥44.00",
    "配送费 ¥5.00",
    "合计 ¥49.00",
    "货到付款 ¥49.00（骑手代收）",
    rule,
    "备注：少辣",
    rule,
    "陈女士 +8613800000301",
    "人民广场 1 号楼 1201",
  ]);
});

test("a scheduled order's ticket says when it is wanted; a coupon shows as a discount; no note, no note line", () => {
  const lines = ticketLines(
    {
      ...ORDER,
      channel: "mini_program",
      scheduled_for: "2026-11-28T10:30:00.000Z",
      note: null,
      amounts: { ...ORDER.amounts, discount: 300, total: 4600, collect_on_delivery: 0 },
    },
    "老王生煎",
  );
  assert.equal(lines[2], "下单 11/28 12:01  预约 11/28 18:30");
  assert.ok(lines.includes("优惠 -¥3.00") && lines.includes("合计 ¥46.00"));
  assert.ok(!lines.some((line) => line.startsWith("备注") || line.startsWith("货到付款")));
});

// The console's alert logic (console/alerts.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { alertRow, appendPage, badgeText, readUpTo } from "../../console/alerts.js";

const item = (id, read, sentAt = "2026-11-25T04:05:00.000Z", data = { type: "order_alert", order_id: "ord_1" }) => ({
  id,
  title: "新订单",
  body: "您有新订单 000001，请及时处理。",
  data,
  sent_at: sentAt,
  read,
});

test("the badge counts unread alerts, and says when a full page may hide more", () => {
  assert.equal(badgeText({ items: [item("a", true)], next_cursor: null }), "");
  assert.equal(badgeText({ items: [item("a", false), item("b", true)], next_cursor: "c" }), "1");
  assert.equal(badgeText({ items: [item("a", false), item("b", false)], next_cursor: "c" }), "2+");
  const many = Array.from({ length: 120 }, (_, n) => item(`i${n}`, false));
  assert.equal(badgeText({ items: many, next_cursor: null }), "99+");
});

test("a row shows the kind, the words, China time, and the order", () => {
  assert.deepEqual(alertRow(item("a", false)), {
    id: "a",
    kind: "订单",
    title: "新订单",
    body: "您有新订单 000001，请及时处理。",
    when: "11/25 12:05",
    unread: true,
    orderId: "ord_1",
  });
  const lowStock = alertRow(item("b", true, "2026-11-25T04:05:00.000Z", { type: "low_stock", product_id: "prd_1" }));
  assert.equal(lowStock.kind, "库存");
  assert.equal(lowStock.orderId, null);
});

test("marking read goes up to the newest alert shown; an empty page marks nothing", () => {
  assert.equal(readUpTo({ items: [item("a", false, "2026-11-25T05:00:00.000Z"), item("b", false)] }), "2026-11-25T05:00:00.000Z");
  assert.equal(readUpTo({ items: [] }), null);
});

test("a next page adds only alerts not shown yet", () => {
  const shown = [item("a", false), item("b", false)];
  assert.deepEqual(appendPage(shown, { items: [item("b", false), item("c", true)] }).map((row) => row.id), ["a", "b", "c"]);
});

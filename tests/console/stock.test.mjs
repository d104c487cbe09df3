// The console's stock logic (console/stock.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { quantity, stockRow } from "../../console/stock.js";

const product = (fields = {}) => ({
  id: "prd_1",
  name: "生煎包 (4只)",
  price: 1800,
  stock: 48,
  available: true,
  unlimited: false,
  on_sale: true,
  version: 3,
  on_hand: 50,
  reserved: 2,
  low_stock_threshold: 5,
  daily_stock: null,
  ...fields,
});

test("a product on sale shows its price, photo, what is on hand and held, and can be edited, taken off, restocked or counted", () => {
  assert.deepEqual(stockRow(product({ images: ["https://cdn/images/m/img_1.png"] })), {
    id: "prd_1",
    name: "生煎包 (4只)",
    price: "¥18.00",
    state: "在售",
    onHand: "50",
    reserved: "待支付占用 2",
    low: false,
    photo: "https://cdn/images/m/img_1.png",
    actions: ["edit", "takeOff", "restock", "count"],
  });
  assert.equal(stockRow(product()).photo, null);
});

test("off the menu, sold out, low, and unlimited each show as such", () => {
  assert.deepEqual([stockRow(product({ on_sale: false, available: false })).state, stockRow(product({ on_sale: false })).actions[1]], ["已下架", "putOn"]);
  assert.equal(stockRow(product({ available: false, on_hand: 2, reserved: 2, stock: 0 })).state, "售罄");
  assert.equal(stockRow(product({ on_hand: 5 })).low, true);
  assert.equal(stockRow(product({ on_hand: 6 })).low, false);
  assert.equal(stockRow(product({ low_stock_threshold: null, on_hand: 0 })).low, false);
  const unlimited = stockRow(product({ unlimited: true, on_hand: null, stock: null, reserved: 0 }));
  assert.deepEqual([unlimited.onHand, unlimited.reserved, unlimited.low, unlimited.actions], ["不限", "", false, ["edit", "takeOff"]]);
});

test("a quantity is a whole number from the least allowed up to a million, else nothing is sent", () => {
  assert.equal(quantity(" 12 ", 1), 12);
  assert.equal(quantity("0", 0), 0);
  assert.equal(quantity("1000000", 1), 1_000_000);
  for (const typed of ["0", "-3", "2.5", "十", "", "1000001", "1e3", null]) assert.equal(quantity(typed, 1), null, String(typed));
});

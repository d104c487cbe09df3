// The console's shop state (console/shop.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { shopStatus } from "../../console/shop.js";

const merchant = (fields = {}) => ({ open: true, paused: false, next_opening: null, ...fields });

test("a shop taking orders can be paused", () => {
  assert.deepEqual(shopStatus(merchant()), { label: "营业中", open: true, switchTo: { paused: true, label: "暂停接单" } });
});

test("a paused shop says so and can take orders again", () => {
  const status = shopStatus(merchant({ open: false, paused: true }));
  assert.deepEqual([status.label, status.switchTo], ["已暂停接单", { paused: false, label: "恢复接单" }]);
});

test("a shop closed by its hours says when it opens, and can still be paused", () => {
  const status = shopStatus(merchant({ open: false, next_opening: "2026-11-28T02:00:00.000Z" }));
  assert.equal(status.label, "休息中，11/28 10:00 开始营业");
  assert.equal(status.switchTo.paused, true);
});

test("a shop the platform suspended says so, whatever its own switch", () => {
  const status = shopStatus(merchant({ open: false, suspended: true }));
  assert.deepEqual([status.label, status.switchTo.label], ["已被平台暂停营业", "暂停接单"]);
});

test("a shop whose food permit lapsed says so and where to renew it", () => {
  const status = shopStatus(merchant({ open: false, food_permit_lapsed: true }));
  assert.equal(status.label, "食品经营许可证已过期，暂停营业：请在证照中上传新证");
});

// The operators' riders (console/riders.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ACTION_STATUS, capacityOf, cashProblem, handInBody, newRiderBody, riderRow } from "../../console/riders.js";

const rider = (fields = {}) => ({
  id: "usr_r1",
  name: "骑手 张三",
  phone: "+8613800000201",
  status: "APPROVED",
  state: "online",
  online: true,
  capacity: 3,
  active_orders: 1,
  vehicle: "ebike",
  zone: null,
  ...fields,
});

test("a working rider shows how they ride, how much they carry, whether they are on and what they are carrying", () => {
  assert.deepEqual(riderRow(rider()), {
    id: "usr_r1",
    head: "骑手 张三 +8613800000201",
    status: "可接单",
    lines: ["电动车 · 容量 3 · 在线 · 配送中 1 单"],
    actions: ["suspend", "capacity"],
  });
  const zoned = riderRow(rider({ state: "offline", active_orders: 0, zone: { center: {}, radius_m: 3500 } }));
  assert.deepEqual(zoned.lines, ["电动车 · 容量 3 · 离线 · 服务半径 3.5 公里"]);
  const holding = riderRow(rider({ cash_held: 4750 }));
  assert.deepEqual(holding.lines, ["电动车 · 容量 3 · 在线 · 配送中 1 单 · 持有现金 ¥47.50"]);
  assert.deepEqual(holding.actions, ["suspend", "capacity", "cash"]);
  assert.deepEqual(riderRow(rider({ status: "SUSPENDED", cash_held: 100 })).actions, ["reinstate", "cash"]);
});

test("an application is approved or declined, a suspended rider let work again", () => {
  const applied = riderRow(rider({ status: "PENDING", state: "offline", active_orders: 0, vehicle: "bike" }));
  assert.deepEqual([applied.status, applied.lines, applied.actions], ["待审核", ["自行车 · 容量 3"], ["approve", "decline"]]);
  assert.deepEqual(riderRow(rider({ status: "SUSPENDED" })).actions, ["reinstate"]);
  assert.deepEqual(
    ["approve", "decline", "suspend", "reinstate"].map((action) => ACTION_STATUS[action]),
    ["APPROVED", "SUSPENDED", "SUSPENDED", "APPROVED"],
  );
});

test("a capacity is a whole number of orders (the API says how many at most)", () => {
  assert.equal(capacityOf(" 4 ", 6), 4);
  assert.equal(capacityOf("12"), 12);
  for (const wrong of ["0", "2.5", "", "四", "1000"]) assert.equal(capacityOf(wrong), null, wrong);
});

test("a rider registered by hand needs a name, a phone and a vehicle", () => {
  assert.deepEqual(newRiderBody({ name: " 赵六 ", phone: "137 0000 0001", vehicle: "ebike" }), {
    body: { name: "赵六", phone: "+8613700000001", vehicle: "ebike" },
  });
  assert.match(newRiderBody({ name: "", phone: "13700000001", vehicle: "ebike" }).error, /姓名/);
  assert.match(newRiderBody({ name: "赵六", phone: "123", vehicle: "ebike" }).error, /手机号/);
  assert.match(newRiderBody({ name: "赵六", phone: "13700000001", vehicle: "plane" }).error, /交通工具/);
});

test("cash handed in is typed in yuan and sent in fen exactly, with a note if one is given", () => {
  assert.deepEqual(handInBody("47.5", ""), { body: { amount: 4750 } });
  assert.deepEqual(handInBody(" ¥0.29 ", " 人民广场站 收据 0042 "), { body: { amount: 29, note: "人民广场站 收据 0042" } });
  for (const typed of ["", "0", "12.345", "abc", "-5"]) {
    assert.equal(handInBody(typed, "").error, "金额须以元为单位，最多两位小数，如 47.50。", typed);
  }
  assert.equal(handInBody("1", "x".repeat(201)).error, "备注最多 200 个字。");
  assert.equal(cashProblem("CASH_EXCEEDS_HELD", { held: 2500 }), "交回金额超过骑手持有的现金：现在持有 ¥25.00。");
  assert.equal(cashProblem("RIDER_NOT_FOUND", {}), undefined);
});

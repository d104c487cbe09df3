// The console's figures and incidents (console/analytics.js) under node's test runner; tests/unit/test_console.py
// runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { dishTable, figures, hourBars, incidentRow, riderTable, todayByHourQuery, weekQuery, weekTable } from "../../console/analytics.js";

const metrics = (fields = {}) => ({
  orders: 12,
  gmv: 49_200,
  average_order_value: 4100,
  confirm_minutes_mean: 1.5,
  assign_minutes_mean: 2.3,
  click_to_door_minutes_mean: 31.2,
  click_to_door_minutes_p90: 44.5,
  on_time_rate: 0.9167,
  failed: 0,
  cancelled: 1,
  cancel_rate: 0.0833,
  ...fields,
});

test("a report's figures read as money, minutes and percentages, in the page's order", () => {
  assert.deepEqual(figures(metrics()), [
    ["订单", "12"],
    ["营业额", "¥492.00"],
    ["客单价", "¥41.00"],
    ["平均接单", "1.5 分钟"],
    ["平均等骑手", "2.3 分钟"],
    ["平均送达", "31.2 分钟"],
    ["九成送达", "44.5 分钟"],
    ["准时率", "91.7%"],
    ["配送失败", "0"],
    ["取消", "1 (8.3%)"],
  ]);
});

test("a day with nothing to divide shows a dash, not zero", () => {
  const empty = metrics({
    orders: 0,
    gmv: 0,
    average_order_value: null,
    confirm_minutes_mean: null,
    assign_minutes_mean: null,
    click_to_door_minutes_mean: null,
    click_to_door_minutes_p90: null,
    on_time_rate: null,
    cancelled: 0,
    cancel_rate: null,
  });
  assert.deepEqual(
    figures(empty).map(([, value]) => value),
    ["0", "¥0.00", "—", "—", "—", "—", "—", "—", "0", "0"],
  );
});

test("the week's table has today first, by month and day", () => {
  const report = {
    totals: metrics(),
    periods: [
      { period: "2026-11-26", ...metrics({ orders: 5 }) },
      { period: "2026-11-27", ...metrics({ orders: 7 }) },
    ],
  };
  const table = weekTable(report);
  assert.equal(table.header[0], "日期");
  assert.equal(table.header.length, 11);
  assert.deepEqual(
    table.rows.map((row) => row.slice(0, 2)),
    [
      ["11-27", "7"],
      ["11-26", "5"],
    ],
  );
});

test("the week runs over the last seven China days, today included", () => {
  const query = weekQuery(new Date("2026-11-27T17:00:00Z")); // 01:00 on the 28th in China
  assert.deepEqual(Object.fromEntries(query), { from: "2026-11-22", to: "2026-11-28" });
});

test("an incident shows what went wrong, on which order, when, and its detail", () => {
  const row = incidentRow({
    id: "inc_1",
    order_id: "ord_0123456789abcdef",
    kind: "no_rider",
    detail: { zone: "8831aa", tries: 3 },
    created_at: "2026-11-27T04:05:00.000Z",
  });
  assert.deepEqual(row, {
    id: "inc_1",
    orderId: "ord_0123456789abcdef",
    head: "无骑手接单 · 订单 #ABCDEF",
    when: "11/27 12:05",
    detail: "zone: 8831aa，tries: 3",
    actions: ["resolve"],
  });
  assert.equal(incidentRow({ ...row, order_id: "ord_x", kind: "stuck_PAID", detail: null, created_at: "2026-11-27T04:05:00Z" }).head, "订单卡在 PAID · 订单 #ORD_X");
});

test("the day's riders read by rank, with their rates and pay", () => {
  const kpis = { delivered: 9, on_time_rate: 0.8889, completion_rate: 1, acceptance_rate: null, earnings: 10_350 };
  const table = riderTable({ riders: [{ rank: 1, rider_id: "usr_r1", name: null, kpis }, { rank: 2, rider_id: "usr_r2", name: "骑手 李四", kpis: { ...kpis, delivered: 4 } }] });
  assert.deepEqual(table.header, ["名次", "骑手", "送达", "准时率", "完成率", "接单率", "收入"]);
  assert.deepEqual(table.rows, [
    ["1", "usr_r1", "9", "88.9%", "100%", "—", "¥103.50"],
    ["2", "骑手 李四", "4", "88.9%", "100%", "—", "¥103.50"],
  ]);
});

test("a complaint is decided, not resolved, and says why and about whom", () => {
  const row = incidentRow({
    id: "inc_2",
    order_id: "ord_00000000000000000000c0ffee",
    kind: "complaint",
    detail: { reason: "骑手态度差", rider_id: "usr_r1" },
    created_at: "2026-11-27T04:05:00.000Z",
  });
  assert.equal(row.head, "顾客投诉 · 订单 #C0FFEE");
  assert.equal(row.detail, "原因: 骑手态度差，骑手: usr_r1");
  assert.deepEqual(row.actions, ["uphold", "dismiss"]);
});

test("the week's dishes are named from the menu, most sold first, ten at most", () => {
  const dishes = Array.from({ length: 12 }, (_, n) => ({ product_id: `prd_${n}`, quantity: 20 - n }));
  const table = dishTable({ dishes }, [{ id: "prd_0", name: "生煎包" }]);
  assert.deepEqual(table.header, ["菜品", "送达份数"]);
  assert.equal(table.rows.length, 10);
  assert.deepEqual(table.rows.slice(0, 2), [
    ["生煎包", "20"],
    ["prd_1", "19"],
  ]);
});

test("today's orders hour by hour are bars as tall as their share of the busiest hour, the axis every six hours", () => {
  const period = (hour, orders) => ({ period: `2026-11-28T${String(hour).padStart(2, "0")}`, orders });
  const bars = hourBars({ periods: [period(0, 0), period(11, 8), period(12, 2), period(18, 3)] });
  assert.deepEqual(bars, [
    { hour: 0, orders: 0, height: 0, label: "0时" },
    { hour: 11, orders: 8, height: 100, label: "" },
    { hour: 12, orders: 2, height: 25, label: "12时" },
    { hour: 18, orders: 3, height: 38, label: "18时" },
  ]);
  assert.deepEqual(hourBars({ periods: [period(9, 0)] }), [{ hour: 9, orders: 0, height: 0, label: "" }]);
  assert.equal(todayByHourQuery(new Date("2026-11-27T17:00:00Z")).toString(), "from=2026-11-28&to=2026-11-28&by=hour");
});

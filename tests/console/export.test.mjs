// 导出订单 (console/export.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_DAYS, csvText, exportFileName, exportRange, ordersCsv, plainYuan } from "../../console/export.js";

const HEADER = "订单号,单号(完整),下单时间,渠道,状态,菜品,菜品金额,配送费,优惠,实付,货到付款,已退款,取消原因,备注";

const order = (fields = {}) => ({
  id: "ord_1dce5662f2ab52c48d228793b6877946",
  status: "DELIVERED",
  channel: "mini_program",
  items: [
    { name: "生煎包 (4只)", quantity: 2, unit_price: 1800, line_total: 3600 },
    { name: "牛肉粉丝汤", quantity: 1, unit_price: 1600, line_total: 1600 },
  ],
  amounts: { items_total: 5200, delivery_fee: 500, discount: 300, total: 5400, collect_on_delivery: 0 },
  refund: null,
  cancel_reason: null,
  note: null,
  created_at: "2026-11-27T16:05:00.000Z",
  ...fields,
});

const PAID_AT_THE_DOOR = { items_total: 1805, delivery_fee: 0, discount: 0, total: 1805, collect_on_delivery: 1805 };

// The file's lines without the BOM and the last line end (a field with a line break spans two of them).
const linesOf = (csv) => csv.slice(1).replace(/\r\n$/, "").split("\r\n");

// The 备注 field as written: what the order's row has more than without a note (备注 is the last column).
function noteOf(note) {
  const rowOf = (fields) => linesOf(ordersCsv([order(fields)])).slice(1, -1).join("\r\n");
  return rowOf({ note }).slice(rowOf({}).length);
}

test("the file starts with a BOM for Excel and ends each line with CRLF", () => {
  const csv = ordersCsv([order()]);
  assert.equal(csv[0], "\uFEFF");
  assert.ok(csv.endsWith("\r\n"));
  assert.equal(csv.replaceAll("\r\n", "").includes("\n"), false, "no bare line feed");
  assert.equal(linesOf(csv).length, 3, "the header, the order, 合计");
});

test("the header names the columns in Chinese; each order is a row, its time China's, its money in plain yuan", () => {
  const [header, row] = linesOf(ordersCsv([order()]));
  assert.equal(header, HEADER);
  assert.equal(
    row,
    "#877946,ord_1dce5662f2ab52c48d228793b6877946,2026-11-28 00:05,小程序,已送达,生煎包 (4只)×2；牛肉粉丝汤×1," +
      "52.00,5.00,3.00,54.00,0.00,0.00,,",
  );
});

test("a phone order paid at the door, a partial refund, and a cancelled order with its reason", () => {
  const orders = [
    order({ channel: "phone", amounts: PAID_AT_THE_DOOR }),
    order({ refund: { status: "PARTIALLY_REFUNDED", refunded: 1600 } }),
    order({ status: "CANCELLED", cancel_reason: "今天的羊肉串卖完了", refund: { status: "REFUNDED", refunded: 5400 } }),
  ];
  const [, phone, refunded, cancelled] = linesOf(ordersCsv(orders)).map((line) => line.split(","));
  assert.deepEqual([phone[3], phone[9], phone[10]], ["电话", "18.05", "18.05"]);
  assert.deepEqual([refunded[9], refunded[11]], ["54.00", "16.00"]);
  assert.deepEqual([cancelled[4], cancelled[11], cancelled[12]], ["已取消", "54.00", "今天的羊肉串卖完了"]);
});

test("合计 sums the money columns of the orders paid for and not cancelled", () => {
  const orders = [
    order(),
    order({ amounts: PAID_AT_THE_DOOR }),
    order({ refund: { status: "PARTIALLY_REFUNDED", refunded: 1600 } }),
    order({ status: "CANCELLED", refund: { status: "REFUNDED", refunded: 5400 } }),
    order({ status: "PENDING_PAYMENT" }),
  ];
  const totals = linesOf(ordersCsv(orders)).at(-1);
  assert.equal(totals, "合计,3 单（不含待支付、已取消）,,,,,122.05,10.00,6.00,126.05,18.05,16.00,,");
});

test("no orders: the header and a 合计 of nothing", () => {
  assert.deepEqual(linesOf(ordersCsv([])), [HEADER, "合计,0 单（不含待支付、已取消）,,,,,0.00,0.00,0.00,0.00,0.00,0.00,,"]);
});

test("a field with a comma, a quote or a line break is quoted, its quotes doubled (RFC 4180)", () => {
  assert.equal(noteOf("不要葱, 多放辣"), '"不要葱, 多放辣"');
  assert.equal(noteOf('写上"生日快乐"'), '"写上""生日快乐"""');
  assert.equal(noteOf("放门口\n别敲门"), '"放门口\n别敲门"');
  assert.equal(noteOf("放门口\r\n别敲门"), '"放门口\r\n别敲门"');
  assert.equal(noteOf("不要葱"), "不要葱", "nothing to quote");
  const [, row] = linesOf(ordersCsv([order({ items: [{ name: "鸡翅, 辣", quantity: 2 }] })]));
  assert.ok(row.includes(',"鸡翅, 辣×2",'), row);
});

test("a field a spreadsheet would run as a formula starts with ' instead (OWASP CSV injection)", () => {
  assert.equal(noteOf("=1+1"), "'=1+1");
  assert.equal(noteOf("=HYPERLINK(\"http://x\",\"y\")"), '"\'=HYPERLINK(""http://x"",""y"")"');
  assert.equal(noteOf("=1+1, 多放辣"), "\"'=1+1, 多放辣\"");
  assert.equal(noteOf("+86 138"), "'+86 138");
  assert.equal(noteOf("-2+3"), "'-2+3");
  assert.equal(noteOf("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(noteOf("\t=1+1"), "'\t=1+1");
  assert.equal(noteOf("少辣 =1+1"), "少辣 =1+1", "only a leading one runs");
  const [, row] = linesOf(ordersCsv([order({ cancel_reason: "=cmd|' /C calc'!A0", status: "CANCELLED" })]));
  assert.ok(row.endsWith(",'=cmd|' /C calc'!A0,"), row);
});

test("the file is named after the shop and the days, the shop's name made fit for a file name", () => {
  const days = { from: "2026-11-01", to: "2026-11-30" };
  assert.equal(exportFileName("老王生煎 Lao Wang", days), "订单_老王生煎 Lao Wang_2026-11-01_2026-11-30.csv");
  assert.equal(exportFileName(' 王记/面馆: "总店"?? ', days), "订单_王记_面馆_ _总店__2026-11-01_2026-11-30.csv");
  assert.equal(exportFileName("a\\b*c<d>e|f\tg", days), "订单_a_b_c_d_e_f_g_2026-11-01_2026-11-30.csv");
});

test("another file (导出对账单) is written the same way: a BOM, CRLF, quoting, a formula neutralised", () => {
  assert.equal(csvText([["项目", "说明"], ["商家退款", "=1+1, 补差"]]), '\uFEFF项目,说明\r\n商家退款,"\'=1+1, 补差"\r\n');
  assert.equal(csvText([]), "\uFEFF");
});

test("money is plain yuan, a debit negative: a spreadsheet sums it, so a negative number is not neutralised", () => {
  assert.deepEqual([5_200, 0, -416, -5, -160_000].map(plainYuan), ["52.00", "0.00", "-4.16", "-0.05", "-1600.00"]);
  const written = csvText([[plainYuan(-416), "-4", "-4.", "-4.1.6", "-4+1", "- 4"]]);
  assert.equal(written, "\uFEFF-4.16,-4,'-4.,'-4.1.6,'-4+1,'- 4\r\n");
});

test("another file is named as the orders' file is, with its own title", () => {
  const days = { from: "2026-11-22", to: "2026-11-28" };
  assert.equal(exportFileName("老王生煎", days, "对账单"), "对账单_老王生煎_2026-11-22_2026-11-28.csv");
});

test("the days are checked: both picked, the first not after the last, at most the API's range", () => {
  assert.deepEqual(exportRange("2026-11-28", "2026-11-28"), { from: "2026-11-28", to: "2026-11-28" });
  assert.deepEqual(exportRange("", "2026-11-28"), { error: "请选择开始和结束日期。" });
  assert.deepEqual(exportRange("2026-11-28", ""), { error: "请选择开始和结束日期。" });
  assert.deepEqual(exportRange("2026-11-29", "2026-11-28"), { error: "开始日期不能晚于结束日期。" });
  assert.equal(MAX_DAYS, 92);
  assert.deepEqual(exportRange("2026-01-01", "2026-04-02"), { from: "2026-01-01", to: "2026-04-02" }, "92 days");
  assert.deepEqual(exportRange("2026-01-01", "2026-04-03"), { error: "一次最多导出 92 天的订单，请缩短日期范围。" });
  assert.deepEqual(exportRange("2025-12-01", "2026-01-31"), { from: "2025-12-01", to: "2026-01-31" }, "a year's end");
});

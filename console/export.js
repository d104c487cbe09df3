// 导出订单: a shop's orders of a range of days as a CSV file for its bookkeeping, one row per order with its money
// in yuan as plain numbers (so that a spreadsheet sums them) and a 合计 row; and how such a file is written and named,
// for the console's other files (导出对账单, settlement.js). Pure functions (no DOM, no fetch), so that tests/console
// runs them under node.
import { CHANNEL_LABELS, STATUS_LABELS, chinaClock, chinaDay, orderRef, yuan } from "./orders.js";

/**
 * The most days exported at once: the API bounds the operators' ranges so (orders/queries.py MAX_ADMIN_DAYS) and
 * leaves a shop's own unbounded; kept to here too, so that a file takes a reasonable time to read.
 */
export const MAX_DAYS = 92;

const DAY_MS = 24 * 60 * 60 * 1000;
const UNCOUNTED = new Set(["PENDING_PAYMENT", "CANCELLED"]); // left out of 合计
const BOM = "\uFEFF"; // without it Excel reads the file in the system's code page, the Chinese as mojibake
const LINE_END = "\r\n"; // RFC 4180
const FORMULA_START = /^[=+\-@\t\r]/; // what a spreadsheet takes for a formula to run (OWASP: CSV injection)
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/; // a debit (-4.16) runs nothing: left a number, for the sums
const NEEDS_QUOTES = /[",\r\n]/;
const NOT_IN_FILE_NAMES = /[\\/:*?"<>|\u0000-\u001f]+/g; // Windows' reserved characters, control characters

/** Plain yuan (57.00, a debit -4.16): a spreadsheet sums numbers, not ¥57.00. */
export function plainYuan(fen) {
  return yuan(fen).replace("¥", "");
}

const sum = (numbers) => numbers.reduce((total, number) => total + number, 0);

// A column: its title, its cell for an order, and its cell in the 合计 row (given the orders counted there).
const text = (title, cell, total = () => "") => ({ title, cell, total });
const money = (title, fen) => ({
  title,
  cell: (order) => plainYuan(fen(order)),
  total: (orders) => plainYuan(sum(orders.map(fen))),
});

const COLUMNS = [
  // "#" as the console shows it: a bare reference such as 001234 or 12E345 would become a number in Excel
  text("订单号", (order) => `#${orderRef(order.id)}`, () => "合计"),
  text("单号(完整)", (order) => order.id, (orders) => `${orders.length} 单（不含待支付、已取消）`),
  text("下单时间", (order) => chinaMinute(order.created_at)),
  text("渠道", (order) => CHANNEL_LABELS[order.channel] || order.channel),
  text("状态", (order) => STATUS_LABELS[order.status] || order.status),
  text("菜品", (order) => order.items.map((item) => `${item.name}×${item.quantity}`).join("；")),
  money("菜品金额", (order) => order.amounts.items_total),
  money("配送费", (order) => order.amounts.delivery_fee),
  money("优惠", (order) => order.amounts.discount),
  money("实付", (order) => order.amounts.total),
  money("货到付款", (order) => order.amounts.collect_on_delivery),
  money("已退款", (order) => order.refund?.refunded ?? 0),
  text("取消原因", (order) => order.cancel_reason ?? ""),
  text("备注", (order) => order.note ?? ""),
];

// A moment (ISO) as the day and minute in China: 2026-11-28 00:05.
function chinaMinute(iso) {
  const moment = new Date(iso);
  return `${chinaDay(moment)} ${chinaClock(moment)}`;
}

// One field as RFC 4180 writes it, a formula neutralised first (a leading ' makes the spreadsheet show it as text).
function csvField(value) {
  const safe = FORMULA_START.test(value) && !NEGATIVE_NUMBER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(fields) {
  return fields.map(csvField).join(",") + LINE_END;
}

/** A CSV file's text, its rows (each a list of strings) as Excel and WPS read them. */
export function csvText(rows) {
  return BOM + rows.map(csvLine).join("");
}

/** The file: the header, a row per order as the API lists them, and the 合计 of the money of those paid for (or
 * to be paid at the door) and not cancelled: an order still waiting for its payment has brought in nothing yet. */
export function ordersCsv(orders) {
  const counted = orders.filter((order) => !UNCOUNTED.has(order.status));
  return csvText([
    COLUMNS.map((column) => column.title),
    ...orders.map((order) => COLUMNS.map((column) => column.cell(order))),
    COLUMNS.map((column) => column.total(counted)),
  ]);
}

/** <title>_<shop>_<from>_<to>.csv (订单_… unless told), the shop's name made fit for a file name. */
export function exportFileName(shopName, { from, to }, title = "订单") {
  return `${title}_${shopName.replace(NOT_IN_FILE_NAMES, "_").trim()}_${from}_${to}.csv`;
}

/** The days picked (YYYY-MM-DD as date inputs give them, "" if none), checked: ``{ from, to }`` or ``{ error }``. */
export function exportRange(from, to) {
  if (!from || !to) return { error: "请选择开始和结束日期。" };
  if (from > to) return { error: "开始日期不能晚于结束日期。" };
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_DAYS) {
    return { error: `一次最多导出 ${MAX_DAYS} 天的订单，请缩短日期范围。` };
  }
  return { from, to };
}

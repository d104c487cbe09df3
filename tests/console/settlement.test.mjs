// 对账结算 and the operators' merchant accounts (console/settlement.js) under node's test runner;
// tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ACCOUNT_ACTIONS,
  COMMISSION_HINT,
  KIND_LABELS,
  MAX_DAYS,
  PAYOUT_ACTIONS,
  accountFigures,
  accountRow,
  commissionBp,
  commissionNote,
  commissionText,
  dayTable,
  daysWithLines,
  lineTable,
  payoutBody,
  payoutRow,
  payoutTable,
  reversalBody,
  reversalText,
  settlementProblem,
  settlementRange,
  signedYuan,
  statementCsv,
  statementFileName,
} from "../../console/settlement.js";

// as GET /merchants/{merchantId}/settlement answers (settlement/models.py; tests/integration/test_settlement.py)
const ACCOUNT = {
  merchant_id: "mer_1",
  accrued: 12_560,
  paid: 5_000,
  balance: 7_560,
  today: 4_784,
  payable: 2_776,
  updated_at: "2026-11-28T04:10:00.000Z",
  last_payout_at: "2026-11-27T02:30:00.000Z",
};
const NOTHING = {
  orders: 0,
  goods: 0,
  commission: 0,
  delivery_fee: 0,
  carrier_fee: 0,
  refund: 0,
  commission_back: 0,
  total: 0,
};
const day = (date, sums = {}) => ({ date, ...NOTHING, ...sums });
const STATEMENT = {
  merchant_id: "mer_1",
  commission_bp: 800,
  account: ACCOUNT,
  start: "2026-11-26",
  end: "2026-11-28",
  days: [
    day("2026-11-26", { orders: 2, goods: 8_400, commission: -672, delivery_fee: -500, total: 7_228 }),
    day("2026-11-27"),
    day("2026-11-28", { orders: 1, goods: 5_200, commission: -416, refund: -1_600, commission_back: 128, total: 3_312 }),
  ],
  payouts: [
    {
      id: "pout_1",
      merchant_id: "mer_1",
      amount: 5_000,
      reference: "ICBC20261127001",
      note: "11 月第 4 周",
      by: "usr_admin",
      at: "2026-11-27T02:30:00.000Z",
      reversed_at: null,
      reversed_by: null,
      reversal_reason: null,
    },
  ],
};
// a payout recorded by mistake and reversed: still listed, its amount owed to the shop again
const REVERSED = {
  ...STATEMENT.payouts[0],
  id: "pout_2",
  amount: 12_000,
  reference: "CMB20261128009",
  note: null,
  at: "2026-11-28T01:00:00.000Z",
  reversed_at: "2026-11-28T06:15:00.000Z",
  reversed_by: "usr_admin",
  reversal_reason: "银行退回：账号有误",
};

test("money in fen shows with its sign in front; a rate in basis points as a percent", () => {
  assert.deepEqual([4_784, 0, -672, -5].map(signedYuan), ["¥47.84", "¥0.00", "-¥6.72", "-¥0.05"]);
  const rates = [800, 850, 1250, 825, 0, 5000, 7].map(commissionText);
  assert.deepEqual(rates, ["8%", "8.5%", "12.5%", "8.25%", "0%", "50%", "0.07%"]);
  assert.equal(
    commissionNote(800),
    "平台佣金：小程序订单菜品金额的 8%（电话、到店、饿了么订单不收佣金）。当天的入账次日起可提现。",
  );
});

test("the account says what may be paid out, the balance, what was paid, today's net and the last payout", () => {
  assert.deepEqual(accountFigures(ACCOUNT), [
    ["可提现", "¥27.76"],
    ["余额", "¥75.60"],
    ["已打款", "¥50.00"],
    ["今日入账", "¥47.84"],
    ["上次打款", "11/27 10:30"],
  ]);
  // a shop that collected its customers' money itself owes the platform its delivery fees: a negative balance
  const owing = { ...ACCOUNT, accrued: -500, paid: 0, balance: -500, today: -500, payable: 0, last_payout_at: null };
  assert.deepEqual(accountFigures(owing).map(([, value]) => value), ["¥0.00", "-¥5.00", "¥0.00", "-¥5.00", "—"]);
});

test("the days show newest first with their sums by kind, a 合计 row, and which days have lines to open", () => {
  const table = dayTable(STATEMENT);
  assert.deepEqual(table.header, ["日期", "订单", ...Object.values(KIND_LABELS), "合计"]);
  assert.deepEqual(table.header.slice(2, 8), ["菜品收入", "平台佣金", "配送费", "第三方配送费", "商家退款", "退还佣金"]);
  assert.deepEqual(table.rows, [
    ["2026-11-28", "1", "¥52.00", "-¥4.16", "¥0.00", "¥0.00", "-¥16.00", "¥1.28", "¥33.12"],
    ["2026-11-27", "0", "¥0.00", "¥0.00", "¥0.00", "¥0.00", "¥0.00", "¥0.00", "¥0.00"],
    ["2026-11-26", "2", "¥84.00", "-¥6.72", "-¥5.00", "¥0.00", "¥0.00", "¥0.00", "¥72.28"],
    ["合计", "3", "¥136.00", "-¥10.88", "-¥5.00", "¥0.00", "-¥16.00", "¥1.28", "¥105.40"],
  ]);
  assert.deepEqual(table.dates, ["2026-11-28", null, "2026-11-26", null]);
  // a day with only a refund (its order settled on an earlier day) has lines too
  const refundOnly = day("2026-11-29", { refund: -800, commission_back: 64, total: -736 });
  assert.deepEqual(dayTable({ ...STATEMENT, days: [refundOnly] }).dates, ["2026-11-29", null]);
});

test("a day's lines show their time (China's), order, what they are and their amount", () => {
  const sold = { order_id: "ord_1dce5662f2ab52c48d228793b6877946", refund_id: null, at: "2026-11-27T16:05:00.000Z" };
  const refunded = { order_id: "ord_00000000000000000000000000ab12cd", refund_id: "rfd_1", at: "2026-11-28T04:30:00.000Z" };
  const lines = [
    { ...sold, kind: "goods", amount: 5_200, detail: "菜品收入" },
    { ...sold, kind: "commission", amount: -416, detail: "平台佣金 8%" },
    { ...refunded, kind: "refund", amount: -1_600, detail: "" }, // no detail: the kind's label
  ];
  assert.deepEqual(lineTable(lines), {
    header: ["时间", "订单", "项目", "金额"],
    rows: [
      ["00:05", "#877946", "菜品收入", "¥52.00"],
      ["00:05", "#877946", "平台佣金 8%", "-¥4.16"],
      ["12:30", "#AB12CD", "商家退款", "-¥16.00"],
    ],
  });
  assert.deepEqual(lineTable([]).rows, []);
});

// STATEMENT's days' lines as GET …/settlement/lines answers them (settlement/rules.py), each day's in time order (a
// moment's by kind, as the ledger's keys sort): on
// 11/26 an order paid online (at 00:30 China time, still 11/25 in UTC) and a phone order whose delivery by the
// platform's rider the shop owes, on 11/28 an order paid online and refunded in part.
const SOLD = "ord_1dce5662f2ab52c48d228793b6877946";
const ONLINE = "ord_000000000000000000000000001a2b3c";
const PHONE = "ord_000000000000000000000000004d5e6f";
function line(order_id, at, kind, amount, detail, refund_id = null) {
  return { order_id, refund_id, kind, amount, detail, at };
}
const LINES = [
  line(ONLINE, "2026-11-25T16:30:00.000Z", "commission", -672, "平台佣金 8%"),
  line(ONLINE, "2026-11-25T16:30:00.000Z", "goods", 8_400, "菜品收入"),
  line(PHONE, "2026-11-26T11:45:00.000Z", "delivery_fee", -500, "平台配送费"),
  line(SOLD, "2026-11-28T04:05:00.000Z", "commission", -416, "平台佣金 8%"),
  line(SOLD, "2026-11-28T04:05:00.000Z", "goods", 5_200, "菜品收入"),
  line(SOLD, "2026-11-28T06:30:00.000Z", "commission_back", 128, "退还佣金", "rfd_01HZX"),
  line(SOLD, "2026-11-28T06:30:00.000Z", "refund", -1_600, "商家退款", "rfd_01HZX"),
];
const STATEMENT_HEADER = "日期,时间,订单号,单号(完整),退款单号,项目,说明,金额";

// The file's lines without the BOM and the last line end.
const csvLines = (csv) => csv.slice(1).replace(/\r\n$/, "").split("\r\n");

test("the days with lines to read are those with an order or a sum, the first day first", () => {
  assert.deepEqual(daysWithLines(STATEMENT), ["2026-11-26", "2026-11-28"]);
  const refundOnly = day("2026-11-29", { refund: -800, commission_back: 64, total: -736 });
  assert.deepEqual(daysWithLines({ ...STATEMENT, days: [day("2026-11-30"), refundOnly] }), ["2026-11-29"]);
  assert.deepEqual(daysWithLines({ ...STATEMENT, days: [day("2026-11-30")] }), []);
});

test("the statement's file: a BOM for Excel, CRLF line ends, a row per line with its China day and minute", () => {
  const csv = statementCsv(LINES);
  assert.equal(csv[0], "\uFEFF");
  assert.ok(csv.endsWith("\r\n"));
  assert.equal(csv.replaceAll("\r\n", "").includes("\n"), false, "no bare line feed");
  const rows = csvLines(csv);
  assert.equal(rows[0], STATEMENT_HEADER);
  assert.deepEqual(rows.slice(1, 1 + LINES.length), [
    `2026-11-26,00:30,#1A2B3C,${ONLINE},,平台佣金,平台佣金 8%,-6.72`, // a debit: a number still, not '-6.72
    `2026-11-26,00:30,#1A2B3C,${ONLINE},,菜品收入,菜品收入,84.00`,
    `2026-11-26,19:45,#4D5E6F,${PHONE},,配送费,平台配送费,-5.00`,
    `2026-11-28,12:05,#877946,${SOLD},,平台佣金,平台佣金 8%,-4.16`,
    `2026-11-28,12:05,#877946,${SOLD},,菜品收入,菜品收入,52.00`,
    `2026-11-28,14:30,#877946,${SOLD},rfd_01HZX,退还佣金,退还佣金,1.28`,
    `2026-11-28,14:30,#877946,${SOLD},rfd_01HZX,商家退款,商家退款,-16.00`,
  ]);
});

test("the file ends with a 合计 per kind and one of all, the statement's sums of the range's days", () => {
  const rows = csvLines(statementCsv(LINES)).slice(1 + LINES.length);
  const fen = (text) => Math.round(Number(text) * 100);
  const sums = rows.map((row) => row.split(","));
  assert.deepEqual(
    sums.map(([first, , , , , label]) => [first, label]),
    [...Object.values(KIND_LABELS).map((label) => ["合计", label]), ["合计", ""]],
  );
  const overDays = (field) => STATEMENT.days.reduce((total, statementDay) => total + statementDay[field], 0);
  for (const [index, kind] of Object.keys(KIND_LABELS).entries()) {
    assert.equal(fen(sums[index][7]), overDays(kind), kind);
  }
  assert.equal(fen(sums.at(-1)[7]), overDays("total"));
  assert.deepEqual(rows, [
    "合计,,,,,菜品收入,,136.00",
    "合计,,,,,平台佣金,,-10.88",
    "合计,,,,,配送费,,-5.00",
    "合计,,,,,第三方配送费,,0.00",
    "合计,,,,,商家退款,,-16.00",
    "合计,,,,,退还佣金,,1.28",
    "合计,,,,,,7 笔,105.40",
  ]);
});

test("no lines: the header and sums of nothing; a line's text is written as 导出订单 writes it", () => {
  assert.deepEqual(csvLines(statementCsv([])), [
    STATEMENT_HEADER,
    ...Object.values(KIND_LABELS).map((label) => `合计,,,,,${label},,0.00`),
    "合计,,,,,,0 笔,0.00",
  ]);
  const [, written] = csvLines(statementCsv([line(SOLD, "2026-11-28T04:05:00.000Z", "adjustment", -5, "=1+1, 补差")]));
  const unknown = "a kind the console has no label for, and a formula in the detail";
  assert.equal(written, `2026-11-28,12:05,#877946,${SOLD},,adjustment,"'=1+1, 补差",-0.05`, unknown);
});

test("the statement's file is named after the shop and the days, as 导出订单 names its own", () => {
  const days = { from: "2026-11-22", to: "2026-11-28" };
  assert.equal(statementFileName("老王生煎", days), "对账单_老王生煎_2026-11-22_2026-11-28.csv");
  assert.equal(statementFileName(' 王记/面馆: "总店" ', days), "对账单_王记_面馆_ _总店__2026-11-22_2026-11-28.csv");
});

test("the payouts show when, how much, the bank's reference and the note", () => {
  assert.deepEqual(payoutTable(STATEMENT.payouts), {
    header: ["时间", "金额", "银行流水号", "备注", "状态"],
    rows: [["11/27 10:30", "¥50.00", "ICBC20261127001", "11 月第 4 周", ""]],
  });
  assert.equal(payoutTable([{ ...STATEMENT.payouts[0], note: null }]).rows[0][3], "");
});

test("a reversed payout stays in the table, its amount marked as not paid and its reason said", () => {
  assert.deepEqual(payoutTable([REVERSED, ...STATEMENT.payouts]).rows, [
    ["11/28 09:00", "¥120.00（已撤销）", "CMB20261128009", "", "已撤销：银行退回：账号有误"],
    ["11/27 10:30", "¥50.00", "ICBC20261127001", "11 月第 4 周", ""],
  ]);
});

test("an operator's 打款记录: each payout with its reference and note, 撤销 only while it is not reversed", () => {
  assert.deepEqual(PAYOUT_ACTIONS, { reverse: "撤销" });
  assert.deepEqual(payoutRow(STATEMENT.payouts[0]), {
    id: "pout_1",
    head: "11/27 10:30 ¥50.00",
    status: "",
    lines: ["银行流水号 ICBC20261127001 · 备注：11 月第 4 周"],
    actions: ["reverse"],
  });
  assert.deepEqual(payoutRow(REVERSED), {
    id: "pout_2",
    head: "11/28 09:00 ¥120.00（已撤销）",
    status: "已撤销：银行退回：账号有误",
    lines: ["银行流水号 CMB20261128009", "撤销于 11/28 14:15"],
    actions: [],
  });
});

test("a reversal's reason as answered: nothing sent when cancelled, said when blank or too long", () => {
  assert.equal(reversalBody(null), null, "the prompt cancelled");
  assert.deepEqual(reversalBody(" 银行退回：账号有误 "), { body: { reason: "银行退回：账号有误" } });
  assert.deepEqual(reversalBody("  "), { error: "请填写撤销原因：商家会看到。" });
  assert.deepEqual(reversalBody("因".repeat(200)), { body: { reason: "因".repeat(200) } });
  assert.deepEqual(reversalBody("因".repeat(201)), { error: "撤销原因最多 200 个字。" });
  assert.equal(reversalText(REVERSED), "已撤销：¥120.00 重新计入应付。");
});

test("a range is two days in order, of at most 92 days", () => {
  assert.equal(MAX_DAYS, 92);
  assert.deepEqual(settlementRange("2026-11-22", "2026-11-28"), { from: "2026-11-22", to: "2026-11-28" });
  assert.deepEqual(settlementRange("2026-11-28", "2026-11-28"), { from: "2026-11-28", to: "2026-11-28" });
  assert.deepEqual(settlementRange("", "2026-11-28"), { error: "请选择开始和结束日期。" });
  assert.deepEqual(settlementRange("2026-11-29", "2026-11-28"), { error: "开始日期不能晚于结束日期。" });
  assert.deepEqual(settlementRange("2026-09-01", "2026-11-30"), { from: "2026-09-01", to: "2026-11-30" }); // 91 days
  assert.equal(settlementRange("2026-09-01", "2026-12-01").from, "2026-09-01"); // 92
  assert.deepEqual(settlementRange("2026-09-01", "2026-12-02"), { error: "一次最多查看 92 天，请缩短日期范围。" });
});

test("an account as operators list it: the shop, what may be paid out, its balance and last payout", () => {
  const row = accountRow({ ...ACCOUNT, name: "老王生煎" });
  assert.deepEqual(row, {
    id: "mer_1",
    head: "老王生煎",
    status: "可提现 ¥27.76",
    lines: ["余额 ¥75.60 · 已打款 ¥50.00 · 今日入账 ¥47.84", "上次打款 11/27 10:30"],
    actions: ["payout", "history", "commission"],
  });
  assert.deepEqual(ACCOUNT_ACTIONS, { payout: "登记打款", history: "打款记录", commission: "佣金" });
  const fresh = accountRow({ ...ACCOUNT, name: "", paid: 0, last_payout_at: null, payable: 0 });
  assert.deepEqual([fresh.head, fresh.status, fresh.lines[1]], ["mer_1", "可提现 ¥0.00", "还没有打款"]);
  assert.deepEqual(fresh.actions, ["payout", "history", "commission"], "the API says how much may be paid, should it be less");
});

test("a payout's amount is read from its digits in yuan, exactly, with the bank's reference and an optional note", () => {
  const fields = { amount: " 1200.5 ", reference: " ICBC20261128001 ", note: "  " };
  assert.deepEqual(payoutBody(fields), { body: { amount: 120_050, reference: "ICBC20261128001" } });
  assert.equal(payoutBody({ ...fields, note: " 11 月第 4 周 " }).body.note, "11 月第 4 周");
  for (const [typed, fen] of [["0.29", 29], ["1.1", 110], ["¥19.99", 1_999], ["0.01", 1], ["10000000", 1_000_000_000]]) {
    assert.equal(payoutBody({ ...fields, amount: typed }).body.amount, fen, typed); // 0.29 * 100 is 28.999… as a float
  }
  const wrong = "打款金额须以元为单位，最多两位小数，如 1200 或 1200.50。";
  for (const typed of ["12.345", "abc", "", "0", "0.00", "-5", "1,200", "1e3", undefined]) {
    assert.deepEqual(payoutBody({ ...fields, amount: typed }), { error: wrong }, typed);
  }
  assert.deepEqual(payoutBody({ ...fields, amount: "10000000.01" }), { error: "单笔打款最多 ¥10000000.00。" });
  assert.deepEqual(payoutBody({ ...fields, reference: " " }), { error: "请填写银行流水号（转账凭证上的交易号）。" });
  assert.equal(payoutBody({ ...fields, reference: "A".repeat(64) }).body.reference.length, 64);
  assert.deepEqual(payoutBody({ ...fields, reference: "A".repeat(65) }), { error: "银行流水号最多 64 个字符。" });
  assert.ok(payoutBody({ ...fields, note: "备".repeat(200) }).body);
  assert.deepEqual(payoutBody({ ...fields, note: "备".repeat(201) }), { error: "备注最多 200 个字。" });
});

test("a commission rate typed as a percent with up to two decimals is sent in basis points, from 0 to 50%", () => {
  const typed = { 8: 800, "8.5": 850, "12.5": 1250, " 12.50 ": 1250, "8.25": 825, "8%": 800, 0: 0, 50: 5000, "0.07": 7 };
  for (const [text, basisPoints] of Object.entries(typed)) assert.equal(commissionBp(text), basisPoints, text);
  for (const text of ["50.01", "51", "100", "8.125", "-1", "abc", "", ".5", "8.", "800bp", null]) {
    assert.equal(commissionBp(text), null, text);
  }
  assert.equal(COMMISSION_HINT, "佣金比例须为 0 到 50 之间的百分数，最多两位小数，如 8 或 8.5。");
});

test("the API's refusals are said in Chinese, a payout past what is payable with how much is", () => {
  assert.equal(
    settlementProblem("PAYOUT_EXCEEDS_PAYABLE", { payable: 2_776 }),
    "打款金额超过可提现金额：该商户现在可提现 ¥27.76（当天的入账次日起可提现）。",
  );
  assert.match(settlementProblem("PAYOUT_EXCEEDS_PAYABLE", { payable: 0 }), /现在可提现 ¥0\.00/);
  assert.equal(settlementProblem("CONCURRENT_UPDATE"), "该商户的账户正在变动，请重试。");
  assert.equal(settlementProblem("RANGE_TOO_LONG", { max_days: 31 }), "一次最多查看 31 天，请缩短日期范围。");
  assert.equal(settlementProblem("PAYOUT_NOT_FOUND"), "没有找到这笔打款：请重新打开该商户的打款记录。");
  assert.equal(settlementProblem("MERCHANT_NOT_FOUND"), null);
});

// 对账结算: a shop's settlement as its owner reads it (GET /merchants/{merchantId}/settlement and its day's lines):
// what it is owed and may be paid out, its days summed by kind, a day's lines order by order, the payouts made to it
// and its commission rate, and the range's lines as a CSV file (导出对账单); and the merchants' accounts as operators
// see them (GET /admin/settlement), a payout recorded (POST /admin/merchants/{merchantId}/payouts), a shop's payouts
// listed and one recorded by mistake reversed (POST …/payouts/{payoutId}/reversal) and a commission rate set
// (PUT …/commission): the forms' fields made into the API's bodies (or what is wrong with them) and the API's
// refusals in Chinese. Amounts are fen, a shop's debit (or a balance it owes) negative. Pure functions (no DOM, no
// fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { csvText, exportFileName, plainYuan } from "./export.js";
import { typedReason } from "./onboarding.js";
import { chinaClock, chinaDay, fenOf, orderRef, yuan } from "./orders.js";

// platform/settings.py settlement_statement_max_days; settlement/models.py PayoutRequest, MAX_COMMISSION_BP
export const MAX_DAYS = 92;
const MAX_PAYOUT = 10_000_000_00;
const REFERENCE_MAX = 64;
const NOTE_MAX = 200;
const MAX_COMMISSION_BP = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;
const NONE = "—";

/** The kinds of lines (settlement/rules.py), in the order the day table shows their sums. */
export const KIND_LABELS = {
  goods: "菜品收入",
  commission: "平台佣金",
  delivery_fee: "配送费",
  carrier_fee: "第三方配送费",
  refund: "商家退款",
  commission_back: "退还佣金",
};

/** What an operator may do with a merchant's account. */
export const ACCOUNT_ACTIONS = { payout: "登记打款", history: "打款记录", commission: "佣金" };

/** What an operator may do with a payout in a shop's 打款记录: one not reversed yet. */
export const PAYOUT_ACTIONS = { reverse: "撤销" };

/** Fen with their sign in front: a debit is -¥8.00 (yuan alone would write ¥-8.00). */
export function signedYuan(fen) {
  return fen < 0 ? `-${yuan(-fen)}` : yuan(fen);
}

/** A commission rate in basis points as a percent: 800 → 8%, 850 → 8.5%, 1250 → 12.5%. */
export function commissionText(basisPoints) {
  return `${basisPoints / 100}%`;
}

/** What the section says of the shop's rate and of when a day's money may be paid out (T+1). */
export function commissionNote(basisPoints) {
  return (
    `平台佣金：小程序订单菜品金额的 ${commissionText(basisPoints)}（电话、到店、饿了么订单不收佣金）。` +
    "当天的入账次日起可提现。"
  );
}

/** The shop's account as [label, value] pairs, in the order the section shows them. */
export function accountFigures(account) {
  return [
    ["可提现", yuan(account.payable)],
    ["余额", signedYuan(account.balance)],
    ["已打款", yuan(account.paid)],
    ["今日入账", signedYuan(account.today)],
    ["上次打款", account.last_payout_at ? chinaTime(account.last_payout_at) : NONE],
  ];
}

const KINDS = Object.keys(KIND_LABELS);
const hasLines = (day) => day.orders > 0 || KINDS.some((kind) => day[kind] !== 0);
const kindLabel = (line) => KIND_LABELS[line.kind] || line.kind;
const dayCells = (day) => [`${day.orders}`, ...[...KINDS, "total"].map((field) => signedYuan(day[field]))];

/**
 * The statement's days as a table, the last day first, and a 合计 row for the range; ``dates``: for each row, the
 * day whose lines it opens (null: a day without lines, or 合计).
 */
export function dayTable(statement) {
  const days = statement.days.slice().reverse();
  const sum = (field) => days.reduce((total, day) => total + day[field], 0);
  const range = Object.fromEntries(["orders", ...KINDS, "total"].map((field) => [field, sum(field)]));
  return {
    header: ["日期", "订单", ...Object.values(KIND_LABELS), "合计"],
    rows: [...days.map((day) => [day.date, ...dayCells(day)]), ["合计", ...dayCells(range)]],
    dates: [...days.map((day) => (hasLines(day) ? day.date : null)), null],
  };
}

/** A day's lines (GET …/settlement/lines) as a table, in time order: each with its order and what it was. */
export function lineTable(lines) {
  return {
    header: ["时间", "订单", "项目", "金额"],
    rows: lines.map((line) => [
      chinaClock(new Date(line.at)),
      `#${orderRef(line.order_id)}`,
      line.detail || kindLabel(line),
      signedYuan(line.amount),
    ]),
  };
}

/** The days of the statement that have lines to read (GET …/settlement/lines), the first day first. */
export function daysWithLines(statement) {
  return statement.days.filter(hasLines).map((day) => day.date);
}

const STATEMENT_HEADER = ["日期", "时间", "订单号", "单号(完整)", "退款单号", "项目", "说明", "金额"];
const fenSum = (lines) => lines.reduce((total, line) => total + line.amount, 0);
const sumRow = (label, note, fen) => ["合计", "", "", "", "", label, note, plainYuan(fen)];

function statementRow(line) {
  const at = new Date(line.at);
  return [
    chinaDay(at), // the day the statement sums it under (settlement/ledger.py: the China day of ``at``)
    chinaClock(at),
    `#${orderRef(line.order_id)}`, // as the console shows it (and a bare 001234 would become a number in Excel)
    line.order_id,
    line.refund_id ?? "",
    kindLabel(line),
    line.detail,
    plainYuan(line.amount),
  ];
}

/**
 * 导出对账单: the lines of a range's days (the first day first, each day's as the API lists them: in time order) as a
 * CSV file, the amounts plain yuan that a spreadsheet sums, a debit negative; then a 合计 row per kind and one of all.
 * The sums are the lines' own, so that the file adds up: the statement's days' sums, which settlement/ledger.py
 * writes with the lines, at once.
 */
export function statementCsv(lines) {
  return csvText([
    STATEMENT_HEADER,
    ...lines.map(statementRow),
    ...KINDS.map((kind) => sumRow(KIND_LABELS[kind], "", fenSum(lines.filter((line) => line.kind === kind)))),
    sumRow("", `${lines.length} 笔`, fenSum(lines)),
  ]);
}

/** 对账单_<shop>_<from>_<to>.csv, named as 导出订单 names its file. */
export function statementFileName(shopName, range) {
  return exportFileName(shopName, range, "对账单");
}

// A reversed payout stays listed (the API keeps it), so its amount must not read as money the shop was paid.
const isReversed = (payout) => Boolean(payout.reversed_at);
const payoutAmount = (payout) => `${yuan(payout.amount)}${isReversed(payout) ? "（已撤销）" : ""}`;
const payoutStatus = (payout) => (isReversed(payout) ? `已撤销：${payout.reversal_reason}` : "");

/** The latest payouts, newest first, as a table; a reversed one says so, and why. */
export function payoutTable(payouts) {
  return {
    header: ["时间", "金额", "银行流水号", "备注", "状态"],
    rows: payouts.map((payout) => [
      chinaTime(payout.at),
      payoutAmount(payout),
      payout.reference,
      payout.note ?? "",
      payoutStatus(payout),
    ]),
  };
}

/** The days picked (YYYY-MM-DD as date inputs give them, "" if none), checked: ``{ from, to }`` or ``{ error }``. */
export function settlementRange(from, to) {
  if (!from || !to) return { error: "请选择开始和结束日期。" };
  if (from > to) return { error: "开始日期不能晚于结束日期。" };
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_DAYS) {
    return { error: `一次最多查看 ${MAX_DAYS} 天，请缩短日期范围。` };
  }
  return { from, to };
}

/** One merchant's account as the operators' list shows it: what may be paid out now, its balance and payouts. */
export function accountRow(account) {
  const lastPayout = account.last_payout_at ? `上次打款 ${chinaTime(account.last_payout_at)}` : "还没有打款";
  return {
    id: account.merchant_id,
    head: account.name || account.merchant_id,
    status: `可提现 ${yuan(account.payable)}`,
    lines: [
      `余额 ${signedYuan(account.balance)} · 已打款 ${yuan(account.paid)} · 今日入账 ${signedYuan(account.today)}`,
      lastPayout,
    ],
    actions: Object.keys(ACCOUNT_ACTIONS),
  };
}

/** A payout as an operator's 打款记录 lists it: when, how much, the bank's reference; 撤销 while it is not reversed. */
export function payoutRow(payout) {
  const note = payout.note ? ` · 备注：${payout.note}` : "";
  const reversed = isReversed(payout) ? [`撤销于 ${chinaTime(payout.reversed_at)}`] : [];
  return {
    id: payout.id,
    head: `${chinaTime(payout.at)} ${payoutAmount(payout)}`,
    status: payoutStatus(payout),
    lines: [`银行流水号 ${payout.reference}${note}`, ...reversed],
    actions: isReversed(payout) ? [] : Object.keys(PAYOUT_ACTIONS),
  };
}

/**
 * Why a payout is reversed, as the operator answered (null: they cancelled): ``{ body }``, or ``{ error }``. The
 * shop reads it in its 对账结算.
 */
export function reversalBody(typed) {
  if (typed === null) return null;
  const checked = typedReason(typed, "撤销原因", "商家");
  return checked.error ? checked : { body: { reason: checked.reason } };
}

/** What an operator is told once a payout is reversed: its amount is owed to the shop again. */
export function reversalText(payout) {
  return `已撤销：${yuan(payout.amount)} 重新计入应付。`;
}

/**
 * A payout as the operator typed it: the amount in yuan (read from its digits, so 0.29 is 29 fen, not a float's
 * 28.999…), the bank's reference and an optional note: ``{ body }`` or the first thing to put right, ``{ error }``.
 * Whether it is at most what is payable is the API's to say: the account may have moved since the list was read.
 */
export function payoutBody(fields) {
  const amount = fenOf(fields.amount);
  if (amount === null || amount < 1) return { error: "打款金额须以元为单位，最多两位小数，如 1200 或 1200.50。" };
  if (amount > MAX_PAYOUT) return { error: `单笔打款最多 ${yuan(MAX_PAYOUT)}。` };
  const reference = (fields.reference ?? "").trim();
  if (!reference) return { error: "请填写银行流水号（转账凭证上的交易号）。" };
  if ([...reference].length > REFERENCE_MAX) return { error: `银行流水号最多 ${REFERENCE_MAX} 个字符。` };
  const note = (fields.note ?? "").trim();
  if ([...note].length > NOTE_MAX) return { error: `备注最多 ${NOTE_MAX} 个字。` };
  return { body: { amount, reference, ...(note ? { note } : {}) } };
}

/** What an operator is told when the rate typed is not one. */
export const COMMISSION_HINT = "佣金比例须为 0 到 50 之间的百分数，最多两位小数，如 8 或 8.5。";

/** A commission rate typed as a percent (8, 8.5, 12.25%) in basis points, read from its digits; null if it is not
 * one from 0 to 50%. */
export function commissionBp(text) {
  const match = /^(\d{1,2})(?:\.(\d{1,2}))?%?$/.exec((text ?? "").trim());
  if (!match) return null;
  const basisPoints = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return basisPoints <= MAX_COMMISSION_BP ? basisPoints : null;
}

/** The API's refusals of settlement (settlement/accounts.py, platform/clock.py) in Chinese; null for others. */
export function settlementProblem(code, details) {
  if (code === "PAYOUT_EXCEEDS_PAYABLE") {
    return `打款金额超过可提现金额：该商户现在可提现 ${yuan(details?.payable ?? 0)}（当天的入账次日起可提现）。`;
  }
  if (code === "CONCURRENT_UPDATE") return "该商户的账户正在变动，请重试。";
  if (code === "PAYOUT_NOT_FOUND") return "没有找到这笔打款：请重新打开该商户的打款记录。";
  if (code === "RANGE_TOO_LONG") return `一次最多查看 ${details?.max_days ?? MAX_DAYS} 天，请缩短日期范围。`;
  return null;
}

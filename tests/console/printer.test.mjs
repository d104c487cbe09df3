// The console's cloud printer (console/printer.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  COPIES_CHOICES,
  kitchenPrintLabel,
  printerBody,
  printerFields,
  printerProblem,
  printerShown,
  printerSubmitLabel,
} from "../../console/printer.js";

// as GET /merchants/{merchantId}/printer answers (tests/integration/test_printing.py)
const PRINTER = {
  provider: "feie",
  sn: "960238953",
  label: "前台",
  copies: 2,
  bound_at: "2026-11-27T16:05:00.000Z",
  state: "ready",
};
const FIELDS = { sn: " 960238953 ", key: " p4t7W1zc ", label: " 后厨 ", copies: "1" };

test("the bound printer shows its number, name, copies, when it was bound (China time) and its state", () => {
  assert.deepEqual(printerShown(PRINTER), {
    summary: "960238953（前台 · 每单 2 联 · 11/28 00:05 绑定）",
    state: "在线",
    ready: true,
  });
  const state = (value) => printerShown({ ...PRINTER, state: value });
  assert.equal(state("offline").state, "离线（接单后小票会在打印机上线时打出）");
  assert.equal(state("offline").ready, false);
  assert.equal(state("needs_attention").state, "缺纸或故障，请检查打印机");
  assert.equal(state("unknown").state, "状态未知");
  assert.equal(state("something_new").state, "状态未知");
});

test("the form shows the bound printer without its key, or is ready to bind one to the kitchen", () => {
  assert.deepEqual(printerFields(PRINTER), { sn: "960238953", key: "", label: "前台", copies: "2" });
  assert.deepEqual(printerFields(null), { sn: "", key: "", label: "后厨", copies: "1" });
  assert.deepEqual(Object.keys(COPIES_CHOICES), ["1", "2", "3", "4"]);
  assert.equal(COPIES_CHOICES["2"], "2 联");
});

test("the button binds a printer, and saves the bound one", () => {
  assert.equal(printerSubmitLabel("", null), "绑定");
  assert.equal(printerSubmitLabel("960238953", null), "绑定");
  assert.equal(printerSubmitLabel(" 960238953 ", PRINTER), "保存");
  assert.equal(printerSubmitLabel("960238952", PRINTER), "绑定");
});

test("a printer is bound with its number and key as typed, trimmed, and the copies as a number", () => {
  assert.deepEqual(printerBody(FIELDS, null), { body: { sn: "960238953", key: "p4t7W1zc", label: "后厨", copies: 1 } });
  const another = printerBody({ ...FIELDS, sn: "960238952", key: "kx9b3m2q", copies: "3" }, PRINTER);
  assert.deepEqual(another, { body: { sn: "960238952", key: "kx9b3m2q", label: "后厨", copies: 3 } });
});

test("the bound printer's name and copies change without its key; unchanged, nothing is sent", () => {
  const changed = printerBody({ sn: "960238953", key: "", label: "后厨", copies: "4" }, PRINTER);
  assert.deepEqual(changed, { body: { sn: "960238953", label: "后厨", copies: 4 } });
  assert.deepEqual(printerBody(printerFields(PRINTER), PRINTER), { unchanged: true });
});

test("each mistake in the form is said, and nothing is sent", () => {
  const error = (fields, printer = null) => printerBody({ ...FIELDS, ...fields }, printer).error;
  assert.match(error({ sn: "" }), /编号（SN）须为.*6 到 20 位字母或数字/);
  assert.match(error({ sn: "96023" }), /编号/);
  assert.match(error({ sn: "960-238-953" }), /编号/);
  assert.equal(error({ key: " " }), "请填写打印机底部标签上的识别码（KEY）。");
  assert.equal(error({ sn: "960238952", key: "" }, PRINTER), "请填写打印机底部标签上的识别码（KEY）。", "another printer");
  assert.match(error({ key: "p4t" }), /识别码（KEY）须为 4 到 16 位字母或数字/);
  assert.match(error({ key: "p4t7 w1zc" }), /识别码/);
  assert.match(error({ label: "  " }), /请填写打印机名称/);
  assert.match(error({ label: "后".repeat(21) }), /最多 20 个字/);
  assert.equal(error({ label: "后".repeat(20) }), undefined);
  for (const copies of ["0", "5", "", "2.5", "toString", undefined]) assert.match(error({ copies }), /联数须为 1 到 4/);
});

test("the API's refusals of a printer are said in the merchant's words; others are left to the API's message", () => {
  assert.equal(printerProblem("PRINTER_TAKEN", { provider: "feie" }), "这台打印机已绑定在其他店铺。");
  const refused = { provider: "feie", provider_message: "识别码不正确" };
  assert.equal(printerProblem("PRINTER_REFUSED", refused), "飞鹅云拒绝：识别码不正确");
  assert.equal(printerProblem("PRINTER_REFUSED", { provider: "feie", provider_message: "" }), "飞鹅云拒绝：未说明原因");
  assert.equal(printerProblem("PRINTER_KEY_REQUIRED"), "请填写打印机底部标签上的识别码（KEY）。");
  assert.equal(printerProblem("PRINTER_CLOUD_UNAVAILABLE", { provider: "feie" }), "暂时连不上飞鹅云，请稍后重试。");
  assert.equal(printerProblem("PRINTING_OFF"), "平台尚未开通云打印。");
  assert.equal(printerProblem("VALIDATION_ERROR", { errors: [] }), null);
  assert.equal(printerProblem("toString"), null);
  assert.equal(printerProblem(undefined), null);
});

test("an order says how its kitchen ticket went on the cloud printer, and nothing without one", () => {
  const at = "2026-11-27T16:06:00.000Z";
  assert.equal(kitchenPrintLabel({ state: "sent", attempts: 1, reason: null, at }), "小票已发送到打印机");
  assert.equal(kitchenPrintLabel({ state: "printing", attempts: 2, reason: null, at }), "小票打印中");
  const failed = { state: "failed", attempts: 1, reason: "Feieyun refused: 错误：打印机编号错误或未添加.", at };
  assert.equal(kitchenPrintLabel(failed), "小票打印失败：Feieyun refused: 错误：打印机编号错误或未添加.");
  assert.equal(kitchenPrintLabel(null), "");
  assert.equal(kitchenPrintLabel(undefined), "");
  assert.equal(kitchenPrintLabel({ state: "sent", attempts: 0, reprints: 2, at }), "小票已发送到打印机（补打 2 次）");
});

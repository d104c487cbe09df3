// The console's shop settings (console/shop_settings.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { dayRanges, hoursProblem, settingsChanges, settingsFields } from "../../console/shop_settings.js";

const MERCHANT = {
  hours: { mon: [["10:00", "14:00"], ["17:00", "21:00"]], tue: [], fri: [["22:00", "02:00"]] },
  holidays: ["2026-12-25"],
  prep_minutes: 15,
  auto_confirm: false,
  on_confirm_timeout: "cancel",
  proof_of_delivery: "code",
  phone: "+8613800000101",
};

test("the form shows each day's hours, the days off, the prep time, and whether orders are taken without a click", () => {
  const fields = settingsFields(MERCHANT);
  assert.deepEqual(fields, {
    always: false,
    days: { mon: "10:00-14:00, 17:00-21:00", tue: "", wed: "", thu: "", fri: "22:00-02:00", sat: "", sun: "" },
    holidays: "2026-12-25",
    prep: "15",
    autoConfirm: false,
    unanswered: "cancel",
    proof: "code",
    phone: "+8613800000101",
  });
  assert.equal(settingsFields({ ...MERCHANT, hours: null }).always, true);
  assert.deepEqual(settingsChanges(fields, MERCHANT), { unchanged: true });
});

test("hours as people type them", () => {
  assert.deepEqual(dayRanges("9:30-14:00，17:00~21:00"), [["09:30", "14:00"], ["17:00", "21:00"]]);
  assert.deepEqual(dayRanges("18:00-24:00"), [["18:00", "24:00"]]);
  assert.deepEqual(dayRanges(" "), []);
  for (const wrong of ["10-14", "10:00-25:00", "24:00-02:00", "10:60-11:00", "早上", "1:00-2:00 ".repeat(7)]) {
    assert.equal(dayRanges(wrong), null, wrong);
  }
});

test("only what changed is sent; hours go whole, and around the clock is no hours at all", () => {
  const fields = settingsFields(MERCHANT);
  assert.deepEqual(settingsChanges({ ...fields, days: { ...fields.days, sat: "11:00-20:00" } }, MERCHANT), {
    body: {
      hours: { mon: [["10:00", "14:00"], ["17:00", "21:00"]], fri: [["22:00", "02:00"]], sat: [["11:00", "20:00"]] },
    },
  });
  assert.deepEqual(settingsChanges({ ...fields, always: true }, MERCHANT), { body: { hours: null } });
  assert.deepEqual(settingsChanges({ ...fields, holidays: "2027-01-01，2026-12-25 2026-12-25", prep: "20" }, MERCHANT), {
    body: { holidays: ["2026-12-25", "2027-01-01"], prep_minutes: 20 },
  });
  assert.deepEqual(settingsChanges({ ...fields, autoConfirm: true, phone: "139 0000 1111" }, MERCHANT), {
    body: { auto_confirm: true, phone: "+8613900001111" },
  });
  assert.deepEqual(settingsChanges({ ...fields, unanswered: "confirm", proof: "photo" }, MERCHANT), {
    body: { on_confirm_timeout: "confirm", proof_of_delivery: "photo" },
  });
});

test("what is mistyped is said, naming the day", () => {
  const fields = settingsFields(MERCHANT);
  assert.match(settingsChanges({ ...fields, days: { ...fields.days, wed: "10点到2点" } }, MERCHANT).error, /^周三/);
  assert.match(settingsChanges({ ...fields, holidays: "2026-02-30" }, MERCHANT).error, /休息日/);
  assert.match(settingsChanges({ ...fields, prep: "0" }, MERCHANT).error, /备餐/);
  assert.match(settingsChanges({ ...fields, phone: "110" }, MERCHANT).error, /电话/);
  assert.match(settingsChanges({ ...fields, proof: "fingerprint" }, MERCHANT).error, /选择/);
});

test("the API's refusal of overlapping hours is said in the merchant's words", () => {
  const refusal = (msg) => ({ errors: [{ loc: ["body", "hours"], type: "value_error", msg }] });
  assert.equal(hoursProblem(refusal("Value error, tue: ranges must be in order and must not overlap")), "周二的时段须按先后填写，且不能重叠。");
  assert.equal(hoursProblem(refusal("Value error, fri: an overnight range runs into the next day's hours")), "周五的跨夜时段与次日的营业时间重叠。");
  assert.equal(hoursProblem(refusal("Field required")), null);
  assert.equal(hoursProblem(undefined), null);
});

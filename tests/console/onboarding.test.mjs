// Opening shops (console/onboarding.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applicationBody,
  applicationFields,
  applicationRow,
  declineBody,
  myApplication,
  newShopBody,
  onboardingProblem,
  shopLocation,
} from "../../console/onboarding.js";

// as GET /merchants/applications/mine answers (tests/integration/test_merchant_onboarding.py)
const APPLICATION = {
  applicant_id: "usr_a1",
  applicant_phone: "+8613800000556",
  status: "PENDING",
  name: "阿婆馄饨",
  phone: "+862163210000",
  address: "上海市黄浦区福州路 88 号",
  location: { lat: 31.2304, lng: 121.4737 },
  note: "小吃，营业执照 91310101MA1FP0000X",
  reason: null,
  merchant_id: null,
  decided_by: null,
  decided_at: null,
  created_at: "2026-11-27T16:05:00.000Z",
  updated_at: "2026-11-27T16:20:00.000Z",
};
const FIELDS = {
  name: " 阿婆馄饨 ",
  phone: "+86 21 6321 0000",
  address: " 上海市黄浦区福州路 88 号 ",
  location: " 121.4737,31.2304 ",
  note: " 小吃 ",
};
const SHOP = {
  name: "阿婆馄饨",
  phone: "+862163210000",
  address: "上海市黄浦区福州路 88 号",
  location: { lat: 31.2304, lng: 121.4737 },
};

test("a pending application shows the shop, where it is, what it sells, who applied when: to approve or not", () => {
  assert.deepEqual(applicationRow(APPLICATION), {
    id: "usr_a1",
    head: "阿婆馄饨 +862163210000",
    status: "待审核",
    lines: [
      "上海市黄浦区福州路 88 号 · 坐标 121.4737,31.2304",
      "说明：小吃，营业执照 91310101MA1FP0000X",
      "申请人 +8613800000556 · 11/28 00:05 申请",
    ],
    actions: ["approve", "decline"],
  });
});

test("a decided application says how, when, and why it was declined or which shop it made, and has no actions", () => {
  const declined = applicationRow({
    ...APPLICATION,
    status: "DECLINED",
    reason: "营业执照照片不清楚",
    note: null,
    decided_at: "2026-11-28T01:00:00.000Z",
  });
  assert.equal(declined.status, "未通过：营业执照照片不清楚");
  assert.deepEqual(declined.lines.slice(1), ["申请人 +8613800000556 · 11/28 00:05 申请 · 11/28 09:00 审核"]);
  assert.deepEqual(declined.actions, []);
  const approved = applicationRow({
    ...APPLICATION,
    status: "APPROVED",
    merchant_id: "mer_9",
    decided_at: "2026-11-28T01:00:00.000Z",
  });
  assert.equal(approved.status, "已通过");
  assert.match(approved.lines.at(-1), /11\/28 09:00 审核 · 店铺 mer_9$/);
  assert.deepEqual(approved.actions, []);
});

test("declining needs a reason, which the applicant reads", () => {
  assert.deepEqual(declineBody(" 地址不在服务范围 "), { body: { approve: false, reason: "地址不在服务范围" } });
  assert.match(declineBody("  ").error, /拒绝原因/);
  assert.match(declineBody("因".repeat(201)).error, /最多 200 个字/);
});

test("the applicant applies, changes it under review, applies again if declined, signs in again once approved", () => {
  assert.deepEqual(myApplication(null), {
    status: "填写店铺信息申请开店，平台审核通过后即可在这里管理店铺。",
    form: true,
    submit: "提交申请",
    signInAgain: false,
  });
  assert.deepEqual(myApplication(APPLICATION), {
    status: "审核中：11/28 00:20 提交，审核前可修改。",
    form: true,
    submit: "修改申请",
    signInAgain: false,
  });
  const declined = myApplication({ ...APPLICATION, status: "DECLINED", reason: "营业执照照片不清楚" });
  assert.deepEqual(declined, {
    status: "未通过：营业执照照片不清楚。可修改后重新申请。",
    form: true,
    submit: "重新申请",
    signInAgain: false,
  });
  const approved = myApplication({ ...APPLICATION, status: "APPROVED", merchant_id: "mer_9" });
  assert.deepEqual(approved, { status: "已通过：请重新登录以管理店铺。", form: false, submit: "", signInAgain: true });
});

test("the form is filled from the application (the coordinate as the map copies it), or left empty", () => {
  assert.deepEqual(applicationFields(APPLICATION), {
    name: "阿婆馄饨",
    phone: "+862163210000",
    address: "上海市黄浦区福州路 88 号",
    location: "121.4737,31.2304",
    note: "小吃，营业执照 91310101MA1FP0000X",
  });
  assert.deepEqual(applicationFields({ ...APPLICATION, note: null }).note, "");
  assert.deepEqual(applicationFields(null), { name: "", phone: "", address: "", location: "", note: "" });
  const again = applicationBody(applicationFields(APPLICATION));
  assert.deepEqual(again.body, { ...SHOP, note: APPLICATION.note }, "sent again as it was");
});

test("a coordinate is 经度,纬度 as AMap's picker copies it; a latitude typed first is said as such", () => {
  assert.deepEqual(shopLocation("121.4737,31.2304"), { location: { lat: 31.2304, lng: 121.4737 } });
  assert.deepEqual(shopLocation(" 121.4737， 31.2304 "), { location: { lat: 31.2304, lng: 121.4737 } });
  assert.deepEqual(shopLocation("121.4737 31.2304"), { location: { lat: 31.2304, lng: 121.4737 } });
  assert.deepEqual(shopLocation("-70.6,-33.45"), { location: { lat: -33.45, lng: -70.6 } });
  assert.match(shopLocation("31.2304,121.4737").error, /先写了纬度.*经度,纬度/);
  assert.match(shopLocation("181,31").error, /超出经纬度范围/);
  assert.match(shopLocation("121.4737,91").error, /超出经纬度范围/);
  for (const wrong of ["", "121.4737", "上海", "121.4737,31.2304,0", "lng,lat"]) {
    assert.match(shopLocation(wrong).error, /坐标须为 经度,纬度/, wrong);
  }
});

test("an application is the shop as customers will see it, with a note only when one is written", () => {
  assert.deepEqual(applicationBody(FIELDS), { body: { ...SHOP, note: "小吃" } });
  assert.deepEqual(applicationBody({ ...FIELDS, note: "  " }), { body: SHOP });
});

test("each mistake in an application is said, the first one first", () => {
  const mistakes = [
    [{ name: " " }, /请填写店名/],
    [{ name: "店".repeat(61) }, /店名最多 60 个字/],
    [{ phone: "6321 0000" }, /门店电话不对/],
    [{ address: "" }, /请填写店铺地址/],
    [{ address: "路".repeat(121) }, /地址最多 120 个字/],
    [{ location: "31.2304,121.4737" }, /先写了纬度/],
    [{ location: "" }, /坐标须为/],
    [{ note: "字".repeat(501) }, /说明最多 500 个字/],
    [{ name: "", location: "" }, /店名/],
  ];
  for (const [changed, said] of mistakes) {
    const described = applicationBody({ ...FIELDS, ...changed });
    assert.equal(described.body, undefined, JSON.stringify(changed));
    assert.match(described.error, said, JSON.stringify(changed));
  }
});

test("a shop registered by hand is for its owner's phone, with prep minutes or the API's default", () => {
  const fields = { ...FIELDS, owner: "139 0000 0001", prep: " 20 " };
  assert.deepEqual(newShopBody(fields), { body: { owner_phone: "+8613900000001", ...SHOP, prep_minutes: 20 } });
  assert.deepEqual(newShopBody({ ...fields, prep: "" }), { body: { owner_phone: "+8613900000001", ...SHOP } });
  assert.match(newShopBody({ ...fields, owner: "12345" }).error, /店主手机号/);
  assert.match(newShopBody({ ...fields, location: "31.2304,121.4737" }).error, /先写了纬度/);
  for (const prep of ["0", "181", "1.5", "二十"]) {
    assert.match(newShopBody({ ...fields, prep }).error, /备餐时间须为 1 到 180 分钟/, prep);
  }
});

test("the API's refusals about opening a shop are said in Chinese; others are left to the API's message", () => {
  assert.equal(onboardingProblem("PHONE_REQUIRED"), "请先在小程序绑定手机号，再申请开店：平台审核时会打电话联系。");
  assert.equal(
    onboardingProblem("ALREADY_A_MERCHANT", { merchant_id: "mer_9" }),
    "店铺已开通（mer_9）：请重新登录以管理店铺。",
  );
  assert.match(onboardingProblem("ALREADY_DECIDED", { status: "APPROVED" }), /已经审核过了/);
  assert.equal(onboardingProblem("APPLICATION_CHANGED"), "申请刚被修改，请刷新后再处理。");
  assert.match(onboardingProblem("IDEMPOTENCY_KEY_REUSED"), /重新登记/);
  assert.equal(onboardingProblem("VALIDATION_ERROR", { errors: [] }), null);
  assert.equal(onboardingProblem("toString"), null);
});

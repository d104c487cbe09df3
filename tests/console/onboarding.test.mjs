// Opening shops (console/onboarding.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DOCUMENT_KINDS,
  VALIDITY_LABELS,
  applicationBody,
  applicationFields,
  applicationRow,
  approvalBody,
  chosenDocuments,
  declineBody,
  documentTooBig,
  myApplication,
  myDocuments,
  expired,
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
  documents: [],
};
// a document as the application's view lists it (catalog/documents.py), its link short-lived
const LICENCE = {
  kind: "business_licence",
  document_id: "doc_l1",
  content_type: "image/png",
  uploaded_at: "2026-11-27T16:04:00.000Z",
  url: "https://documents.example/doc_l1?X-Amz-Signature=ab",
};
const MIB = 1024 * 1024;
// 10:00 in China on 2026-11-28: what is valid until the 27th has lapsed, until the 28th is still valid
const NOW = new Date("2026-11-28T02:00:00.000Z");
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
    documents: [
      { kind: "business_licence", url: null, text: "未上传营业执照" },
      { kind: "food_permit", url: null, text: "未上传食品经营许可证" },
    ],
    dates: ["food_permit", "business_licence"],
    actions: ["approve", "decline"],
  });
  assert.deepEqual(Object.values(VALIDITY_LABELS), ["食品经营许可证有效期至", "营业执照有效期至（长期不填）"]);
});

test("an application's row links each document it has and names each it lacks, licence first", () => {
  const permit = { ...LICENCE, kind: "food_permit", document_id: "doc_p1", url: "https://documents.example/doc_p1" };
  assert.deepEqual(applicationRow({ ...APPLICATION, documents: [permit, LICENCE] }).documents, [
    { kind: "business_licence", url: LICENCE.url, text: "营业执照" },
    { kind: "food_permit", url: permit.url, text: "食品经营许可证" },
  ]);
  assert.deepEqual(applicationRow({ ...APPLICATION, documents: [permit] }).documents[0], {
    kind: "business_licence",
    url: null,
    text: "未上传营业执照",
  });
  const older = applicationRow({ ...APPLICATION, documents: undefined }); // an API's view from before documents
  assert.deepEqual(older.documents.map((entry) => entry.text), ["未上传营业执照", "未上传食品经营许可证"]);
});

test("the applicant's form lists the application's documents: a link to each it has, 未上传 for the others", () => {
  assert.deepEqual(myDocuments({ ...APPLICATION, documents: [LICENCE] }), [
    { kind: "business_licence", url: LICENCE.url, text: "营业执照" },
    { kind: "food_permit", url: null, text: "食品经营许可证：未上传" },
  ]);
  const none = [
    { kind: "business_licence", url: null, text: "营业执照：未上传" },
    { kind: "food_permit", url: null, text: "食品经营许可证：未上传" },
  ];
  assert.deepEqual(myDocuments(APPLICATION), none);
  assert.deepEqual(myDocuments(null), none, "no application yet");
  assert.deepEqual(Object.values(DOCUMENT_KINDS), ["营业执照", "食品经营许可证"]);
});

test("the documents chosen are JPEG, PNG or WebP of at most 8 MB, checked before anything is sent", () => {
  const licence = { type: "image/jpeg", size: 2 * MIB };
  const permit = { type: "image/webp", size: 8 * MIB }; // just fits
  assert.deepEqual(chosenDocuments({ business_licence: licence, food_permit: permit }), {
    chosen: [
      ["business_licence", licence],
      ["food_permit", permit],
    ],
  });
  assert.deepEqual(chosenDocuments({ food_permit: permit }), { chosen: [["food_permit", permit]] });
  assert.deepEqual(chosenDocuments({ business_licence: undefined, food_permit: undefined }), { chosen: [] });
  assert.deepEqual(chosenDocuments({ business_licence: { type: "image/gif", size: 6 } }), {
    error: "营业执照须为 JPEG、PNG 或 WebP 图片。",
  });
  assert.deepEqual(chosenDocuments({ business_licence: licence, food_permit: { type: "application/pdf", size: 9 } }), {
    error: "食品经营许可证须为 JPEG、PNG 或 WebP 图片。",
  });
  assert.deepEqual(chosenDocuments({ business_licence: licence, food_permit: { ...permit, size: 8 * MIB + 1 } }), {
    error: "食品经营许可证图片不能超过 8 MB。",
  });
  assert.equal(documentTooBig("business_licence", 4 * MIB), "营业执照图片不能超过 4 MB。", "as the upload's grant says");
});

test("documents just uploaded go with the application by their ids; with none, it has no documents", () => {
  const uploaded = { business_licence: "doc_l1", food_permit: "doc_p1" };
  assert.deepEqual(applicationBody(FIELDS, uploaded), { body: { ...SHOP, note: "小吃", documents: uploaded } });
  assert.deepEqual(applicationBody(FIELDS, { food_permit: "doc_p1" }).body.documents, { food_permit: "doc_p1" });
  assert.equal("documents" in applicationBody(FIELDS, {}).body, false, "what it has is kept");
  assert.equal("documents" in applicationBody(FIELDS).body, false);
  assert.match(applicationBody({ ...FIELDS, name: "" }, uploaded).error, /请填写店名/);
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
  assert.deepEqual([declined.dates, approved.dates], [[], []], "no dates to type: it is decided");
});

test("an approved application's documents say how long they are valid: a licence with no date is 长期", () => {
  const url = "https://documents.example/doc_p1";
  const permit = { ...LICENCE, kind: "food_permit", document_id: "doc_p1", url, valid_until: "2028-05-31" };
  const approved = { ...APPLICATION, status: "APPROVED", documents: [{ ...LICENCE, valid_until: null }, permit] };
  assert.deepEqual(applicationRow(approved, NOW).documents, [
    { kind: "business_licence", url: LICENCE.url, text: "营业执照（长期）" },
    { kind: "food_permit", url: permit.url, text: "食品经营许可证（有效期至 2028-05-31）" },
  ]);
  const mine = myDocuments(approved, NOW).map((entry) => entry.text);
  assert.deepEqual(mine, ["营业执照（长期）", "食品经营许可证（有效期至 2028-05-31）"]);
  // under review, no date is read off them yet: nothing is said of it
  const pending = { ...APPLICATION, documents: [{ ...LICENCE, valid_until: null }, { ...permit, valid_until: null }] };
  assert.deepEqual(applicationRow(pending, NOW).documents.map((entry) => entry.text), ["营业执照", "食品经营许可证"]);
  assert.deepEqual(myDocuments(pending, NOW).map((entry) => entry.text), ["营业执照", "食品经营许可证"]);
});

test("a document past its date (China time) says it has lapsed; the day itself is still valid", () => {
  const permit = { ...LICENCE, kind: "food_permit", url: "https://documents.example/doc_p1" };
  const shown = (validUntil, now) => {
    const documents = [{ ...permit, valid_until: validUntil }];
    return applicationRow({ ...APPLICATION, status: "APPROVED", documents }, now).documents[1].text;
  };
  assert.equal(shown("2026-11-27", NOW), "食品经营许可证（有效期至 2026-11-27）（已过期）");
  assert.equal(shown("2026-11-28", NOW), "食品经营许可证（有效期至 2026-11-28）");
  // 00:30 on the 28th in China is still the 27th in UTC: China's day counts
  const lapsed = "食品经营许可证（有效期至 2026-11-27）（已过期）";
  assert.equal(shown("2026-11-27", new Date("2026-11-27T16:30:00.000Z")), lapsed);
  assert.equal(shown("2026-11-27", new Date("2026-11-27T15:59:00.000Z")), "食品经营许可证（有效期至 2026-11-27）");
  assert.equal(expired("2026-11-27", NOW), true);
  assert.equal(expired("2031-05-01", NOW), false);
  assert.equal(expired(null, NOW), false, "none recorded: not lapsed");
});

test("approving takes the food permit's date read off its image, and the licence's or none (长期)", () => {
  assert.deepEqual(approvalBody({ food_permit: "2028-05-31", business_licence: "" }, NOW), {
    body: { approve: true, food_permit_valid_until: "2028-05-31", business_licence_valid_until: null },
  });
  assert.deepEqual(approvalBody({ food_permit: " 2028-05-31 ", business_licence: "2040-01-01" }, NOW), {
    body: { approve: true, food_permit_valid_until: "2028-05-31", business_licence_valid_until: "2040-01-01" },
  });
  assert.deepEqual(approvalBody({ food_permit: "2026-11-28" }, NOW).body.food_permit_valid_until, "2026-11-28");
  for (const dates of [{}, { food_permit: "", business_licence: "2040-01-01" }, { food_permit: "  " }, undefined]) {
    assert.deepEqual(approvalBody(dates, NOW), { error: "请填写食品经营许可证的有效期。" }, JSON.stringify(dates));
  }
  assert.deepEqual(approvalBody({ food_permit: "2026-11-27" }, NOW), { error: "有效期已过，不能通过。" });
  assert.deepEqual(approvalBody({ food_permit: "2028-05-31", business_licence: "2020-01-01" }, NOW), {
    error: "有效期已过，不能通过。",
  });
  assert.deepEqual(approvalBody({ food_permit: "2031-02-30" }, NOW), {
    error: "食品经营许可证的有效期须为日期，如 2031-05-01。",
  });
  assert.deepEqual(approvalBody({ food_permit: "2028-05-31", business_licence: "长期" }, NOW), {
    error: "营业执照的有效期须为日期，如 2031-05-01。",
  });
});

test("approving only some kinds (a renewal's) needs only their dates", () => {
  assert.deepEqual(approvalBody({ business_licence: "" }, NOW, ["business_licence"]), {
    body: { approve: true, business_licence_valid_until: null },
  });
  assert.deepEqual(approvalBody({ food_permit: "2028-05-31", business_licence: "" }, NOW, ["food_permit"]), {
    body: { approve: true, food_permit_valid_until: "2028-05-31" },
  });
  assert.deepEqual(approvalBody({}, NOW, ["food_permit"]), { error: "请填写食品经营许可证的有效期。" });
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
  assert.equal(onboardingProblem("DOCUMENTS_MISSING", { missing: ["food_permit"] }), "缺少证照：食品经营许可证，不能通过。");
  assert.equal(
    onboardingProblem("DOCUMENTS_MISSING", { missing: ["food_permit", "business_licence"] }),
    "缺少证照：营业执照、食品经营许可证，不能通过。",
  );
  assert.equal(onboardingProblem("DOCUMENTS_MISSING", { missing: ["tax_record"] }), "缺少证照，不能通过。");
  const refused = { kind: "food_permit", document_id: "doc_p1" };
  assert.equal(
    onboardingProblem("DOCUMENT_NOT_UPLOADED", refused),
    "食品经营许可证没有上传成功：请重新选择图片后再提交。",
  );
  assert.equal(onboardingProblem("DOCUMENT_TOO_LARGE", refused), "食品经营许可证图片不能超过 8 MB。");
  assert.equal(
    onboardingProblem("INVALID_DOCUMENT", { ...refused, kind: "business_licence" }),
    "营业执照不是可用的图片：请重新选择 JPEG、PNG 或 WebP 图片。",
  );
  assert.match(onboardingProblem("INVALID_DOCUMENT", { kind: "tax_record" }), /^证照不是可用的图片/);
  assert.equal(onboardingProblem("VALID_UNTIL_REQUIRED", { kind: "food_permit" }), "请填写食品经营许可证的有效期。");
  assert.equal(
    onboardingProblem("LICENCE_EXPIRED", { kind: "business_licence", valid_until: "2026-01-31" }),
    "营业执照已过期（有效期至 2026-01-31），不能通过。",
  );
  assert.equal(onboardingProblem("LICENCE_EXPIRED", { kind: "food_permit" }), "食品经营许可证已过期，不能通过。");
  assert.equal(onboardingProblem("toString"), null);
});

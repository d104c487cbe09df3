// A running shop's licences (console/licences.js, and their lists in console/onboarding.js) under node's test runner;
// tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chosenLicences, licencesProblem, renewalShown } from "../../console/licences.js";
import { listedDocuments, ownDocuments } from "../../console/onboarding.js";

// as GET /merchants/{merchantId}/licences lists them (catalog/licences_api.py), in kind order, the links short-lived,
// each with the last day it is valid as an operator read it off the image (a business licence's null: 长期)
const LICENCES = [
  {
    kind: "business_licence",
    document_id: "doc_l2",
    content_type: "image/png",
    uploaded_at: "2026-11-28T02:00:00.000Z",
    url: "https://documents.example/doc_l2?X-Amz-Signature=ab",
    valid_until: null,
  },
  {
    kind: "food_permit",
    document_id: "doc_p2",
    content_type: "image/jpeg",
    uploaded_at: "2026-11-28T02:00:00.000Z",
    url: "https://documents.example/doc_p2?X-Amz-Signature=cd",
    valid_until: "2031-05-01",
  },
];
// as GET …/licences/renewal answers it, and the PUT: waiting for review, its documents not dated yet
const RENEWAL = {
  status: "PENDING",
  documents: [{ ...LICENCES[1], document_id: "doc_p3", url: "https://documents.example/doc_p3", valid_until: null }],
  submitted_at: "2026-11-28T03:00:00.000Z",
  submitted_by: "usr_owner",
  reason: null,
  decided_at: null,
  decided_by: null,
};
const MIB = 1024 * 1024;
const NOW = new Date("2026-11-28T02:00:00.000Z"); // 10:00 in China on 2026-11-28

test("the owner's 证照 lists a link to each licence on file, how long it is valid, and which is not uploaded", () => {
  assert.deepEqual(ownDocuments(LICENCES, NOW), [
    { kind: "business_licence", url: LICENCES[0].url, text: "营业执照（长期）" },
    { kind: "food_permit", url: LICENCES[1].url, text: "食品经营许可证（有效期至 2031-05-01）" },
  ]);
  assert.deepEqual(ownDocuments([LICENCES[1]], NOW), [
    { kind: "business_licence", url: null, text: "营业执照：未上传" },
    { kind: "food_permit", url: LICENCES[1].url, text: "食品经营许可证（有效期至 2031-05-01）" },
  ]);
  assert.deepEqual(
    ownDocuments([], NOW).map((entry) => entry.text),
    ["营业执照：未上传", "食品经营许可证：未上传"],
    "a shop registered by hand has none on file",
  );
});

test("a licence on file past its date says it has lapsed; a permit with none recorded says nothing of it", () => {
  const licences = [
    { ...LICENCES[0], valid_until: "2029-12-31" },
    { ...LICENCES[1], valid_until: "2026-11-27" },
  ];
  assert.deepEqual(
    ownDocuments(licences, NOW).map((entry) => entry.text),
    ["营业执照（有效期至 2029-12-31）", "食品经营许可证（有效期至 2026-11-27）（已过期）"],
  );
  const before = [LICENCES[0], { ...LICENCES[1], valid_until: null }]; // approved before dates were recorded
  assert.deepEqual(ownDocuments(before, NOW).map((entry) => entry.text), ["营业执照（长期）", "食品经营许可证"]);
  const older = LICENCES.map(({ valid_until: _, ...licence }) => licence); // an API's view from before dates
  assert.deepEqual(ownDocuments(older, NOW).map((entry) => entry.text), ["营业执照（长期）", "食品经营许可证"]);
});

test("operators' rows name the licence missing first, as an application's documents are named", () => {
  assert.deepEqual(listedDocuments([LICENCES[0]], NOW), [
    { kind: "business_licence", url: LICENCES[0].url, text: "营业执照（长期）" },
    { kind: "food_permit", url: null, text: "未上传食品经营许可证" },
  ]);
  assert.deepEqual(
    listedDocuments(undefined).map((entry) => entry.text),
    ["未上传营业执照", "未上传食品经营许可证"],
    "an API's view from before licences",
  );
});

test("renewing needs a licence chosen, each JPEG, PNG or WebP of at most 8 MB, checked before anything is sent", () => {
  const licence = { type: "image/png", size: 2 * MIB };
  assert.deepEqual(chosenLicences({ business_licence: licence, food_permit: undefined }), {
    chosen: [["business_licence", licence]],
  });
  assert.equal(chosenLicences({ business_licence: licence, food_permit: licence }).chosen.length, 2);
  assert.deepEqual(chosenLicences({ business_licence: undefined, food_permit: undefined }), {
    error: "请选择要更新的证照。",
  });
  assert.deepEqual(chosenLicences({ food_permit: { type: "image/gif", size: 6 } }), {
    error: "食品经营许可证须为 JPEG、PNG 或 WebP 图片。",
  });
  assert.deepEqual(chosenLicences({ business_licence: { ...licence, size: 8 * MIB + 1 } }), {
    error: "营业执照图片不能超过 8 MB。",
  });
});

test("a renewal waiting for review is said with what it sends; a declined one with why; an approved one not", () => {
  assert.deepEqual(renewalShown(RENEWAL, NOW), {
    status: "证照更新待审核",
    documents: [{ kind: "food_permit", url: RENEWAL.documents[0].url, text: "食品经营许可证" }],
  });
  const both = { ...RENEWAL, documents: [{ ...LICENCES[0], valid_until: null }, ...RENEWAL.documents] };
  const sent = renewalShown(both, NOW).documents.map((entry) => entry.text);
  assert.deepEqual(sent, ["营业执照", "食品经营许可证"], "not on file yet: no 长期");
  const declined = { ...RENEWAL, status: "DECLINED", reason: "照片模糊", decided_at: "2026-11-28T04:00:00.000Z" };
  assert.deepEqual(renewalShown(declined, NOW), { status: "证照更新未通过：照片模糊", documents: [] });
  const approved = { ...RENEWAL, status: "APPROVED", decided_at: "2026-11-28T04:00:00.000Z" };
  assert.deepEqual(renewalShown(approved, NOW), { status: "", documents: [] }, "on file: listed there");
  assert.deepEqual(renewalShown(null, NOW), { status: "", documents: [] }, "none sent");
});

test("the API's refusals about renewing are said in Chinese, an image's as an applicant's; others are not", () => {
  assert.equal(licencesProblem("LICENCES_CHANGED"), "证照刚被修改过，请刷新后再试。");
  assert.equal(licencesProblem("NOTHING_TO_RENEW"), "请选择要更新的证照。");
  assert.equal(licencesProblem("RENEWAL_CHANGED"), "店主刚修改了证照更新，请刷新后再审核。");
  assert.match(licencesProblem("RENEWAL_NOT_FOUND"), /没有待审核的证照更新/);
  assert.match(licencesProblem("ALREADY_DECIDED", { status: "DECLINED" }), /证照更新已经审核过了/);
  assert.equal(licencesProblem("VALID_UNTIL_REQUIRED", { kind: "food_permit" }), "请填写食品经营许可证的有效期。");
  assert.equal(
    licencesProblem("LICENCE_EXPIRED", { kind: "food_permit", valid_until: "2026-11-27" }),
    "食品经营许可证已过期（有效期至 2026-11-27），不能通过。",
  );
  assert.equal(
    licencesProblem("DOCUMENT_NOT_UPLOADED", { kind: "business_licence", document_id: "doc_l2" }),
    "营业执照没有上传成功：请重新选择图片后再提交。",
  );
  assert.equal(licencesProblem("DOCUMENT_TOO_LARGE", { kind: "food_permit" }), "食品经营许可证图片不能超过 8 MB。");
  assert.match(licencesProblem("INVALID_DOCUMENT", { kind: "food_permit" }), /^食品经营许可证不是可用的图片/);
  assert.equal(licencesProblem("NOT_YOUR_MERCHANT"), null);
  assert.equal(licencesProblem("VALIDATION_ERROR", { errors: [] }), null);
});

// A running shop's licences (console/licences.js, and their lists in console/onboarding.js) under node's test runner;
// tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chosenLicences, licencesProblem } from "../../console/licences.js";
import { listedDocuments, ownDocuments } from "../../console/onboarding.js";

// as GET /merchants/{merchantId}/licences lists them (catalog/licences_api.py), in kind order, the links short-lived
const LICENCES = [
  {
    kind: "business_licence",
    document_id: "doc_l2",
    content_type: "image/png",
    uploaded_at: "2026-11-28T02:00:00.000Z",
    url: "https://documents.example/doc_l2?X-Amz-Signature=ab",
  },
  {
    kind: "food_permit",
    document_id: "doc_p2",
    content_type: "image/jpeg",
    uploaded_at: "2026-11-28T02:00:00.000Z",
    url: "https://documents.example/doc_p2?X-Amz-Signature=cd",
  },
];
const MIB = 1024 * 1024;

test("the owner's 证照 lists a link to each licence on file and says which is not uploaded", () => {
  assert.deepEqual(ownDocuments(LICENCES), [
    { kind: "business_licence", url: LICENCES[0].url, text: "营业执照" },
    { kind: "food_permit", url: LICENCES[1].url, text: "食品经营许可证" },
  ]);
  assert.deepEqual(ownDocuments([LICENCES[1]]), [
    { kind: "business_licence", url: null, text: "营业执照：未上传" },
    { kind: "food_permit", url: LICENCES[1].url, text: "食品经营许可证" },
  ]);
  assert.deepEqual(
    ownDocuments([]).map((entry) => entry.text),
    ["营业执照：未上传", "食品经营许可证：未上传"],
    "a shop registered by hand has none on file",
  );
});

test("operators' rows name the licence missing first, as an application's documents are named", () => {
  assert.deepEqual(listedDocuments([LICENCES[0]]), [
    { kind: "business_licence", url: LICENCES[0].url, text: "营业执照" },
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

test("the API's refusals about renewing are said in Chinese, an image's as an applicant's; others are not", () => {
  assert.equal(licencesProblem("LICENCES_CHANGED"), "证照刚被修改过，请刷新后再试。");
  assert.equal(
    licencesProblem("DOCUMENT_NOT_UPLOADED", { kind: "business_licence", document_id: "doc_l2" }),
    "营业执照没有上传成功：请重新选择图片后再提交。",
  );
  assert.equal(licencesProblem("DOCUMENT_TOO_LARGE", { kind: "food_permit" }), "食品经营许可证图片不能超过 8 MB。");
  assert.match(licencesProblem("INVALID_DOCUMENT", { kind: "food_permit" }), /^食品经营许可证不是可用的图片/);
  assert.equal(licencesProblem("NOT_YOUR_MERCHANT"), null);
  assert.equal(licencesProblem("VALIDATION_ERROR", { errors: [] }), null);
});

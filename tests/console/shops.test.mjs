// The shops as operators manage them (console/shops.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  SHOP_ACTIONS,
  STANDINGS,
  renewalApprovalBody,
  renewalDeclineBody,
  shopRow,
  shopsPath,
  suspendBody,
  suspensionNotice,
} from "../../console/shops.js";

// as GET /admin/merchants lists it (catalog/onboarding_api.py ShopView; tests/integration/test_merchant_onboarding.py)
const shop = (fields = {}) => ({
  id: "mer_1",
  name: "老王生煎",
  address: "上海市黄浦区福州路 88 号",
  location: { lat: 31.2304, lng: 121.4737 },
  phone: "+862163210000",
  open: true,
  next_opening: "2026-11-28T02:00:00.000Z",
  paused: false,
  suspended: false,
  prep_minutes: 15,
  owner_id: "usr_owner",
  suspended_at: null,
  suspended_by: null,
  suspension_reason: null,
  created_at: "2026-11-20T01:30:00.000Z",
  licences: [],
  ...fields,
});
const SUSPENDED = {
  open: false,
  next_opening: null,
  suspended: true,
  suspended_at: "2026-11-27T06:15:00.000Z",
  suspended_by: "usr_admin",
  suspension_reason: "食品安全抽检不合格",
};
const NOW = new Date("2026-11-28T02:00:00.000Z"); // 10:00 in China on 2026-11-28
// a licence as the shop's view lists it (catalog/documents.py), its link short-lived
const permit = (fields = {}) => ({
  kind: "food_permit",
  document_id: "doc_p1",
  content_type: "image/png",
  uploaded_at: "2026-11-27T06:00:00.000Z",
  url: "https://documents.example/doc_p1?X-Amz-Signature=ab",
  valid_until: "2028-05-31",
  ...fields,
});
// the owner's renewal waiting for review, as the list's licence_renewal has it: its documents not dated yet
const RENEWAL = {
  status: "PENDING",
  documents: [permit({ document_id: "doc_p2", url: "https://documents.example/doc_p2", valid_until: null })],
  submitted_at: "2026-11-28T01:00:00.000Z",
  submitted_by: "usr_owner",
  reason: null,
  decided_at: null,
  decided_by: null,
};

test("a shop taking orders shows who owns it and since when it is open: to suspend", () => {
  assert.deepEqual(shopRow(shop()), {
    id: "mer_1",
    head: "老王生煎 +862163210000",
    status: "营业中",
    lines: ["上海市黄浦区福州路 88 号", "店铺 mer_1 · 店主 usr_owner · 11/20 09:30 开通"],
    documents: [
      { kind: "business_licence", url: null, text: "未上传营业执照" },
      { kind: "food_permit", url: null, text: "未上传食品经营许可证" },
    ],
    renewal: null,
    actions: ["suspend"],
  });
  assert.equal(SHOP_ACTIONS.suspend, "暂停营业资格");
});

test("a shop closed by its hours or paused by its owner says so, and can still be suspended", () => {
  const closed = shopRow(shop({ open: false }));
  assert.deepEqual([closed.status, closed.actions], ["休息中", ["suspend"]]);
  const paused = shopRow(shop({ open: false, paused: true, next_opening: null }));
  assert.deepEqual([paused.status, paused.actions], ["店主暂停接单", ["suspend"]]);
});

test("a suspended shop says why, since when and by whom: to reinstate", () => {
  const row = shopRow(shop(SUSPENDED));
  assert.equal(row.status, "已被平台暂停：食品安全抽检不合格");
  assert.deepEqual(row.lines.slice(1), ["店铺 mer_1 · 店主 usr_owner · 11/20 09:30 开通", "11/27 14:15 由 usr_admin 暂停"]);
  assert.deepEqual(row.actions, ["reinstate"]);
  assert.equal(SHOP_ACTIONS.reinstate, "恢复");
  // its owner paused it too: still paused once the platform lifts the suspension
  const paused = shopRow(shop({ ...SUSPENDED, paused: true }));
  assert.equal(paused.status, "已被平台暂停：食品安全抽检不合格");
  assert.equal(paused.lines.at(-1), "11/27 14:15 由 usr_admin 暂停 · 店主也已暂停接单");
});

test("a shop's licences on file are linked below it, as an application's documents are, licence first", () => {
  const licence = permit({ kind: "business_licence", url: "https://documents.example/doc_l1", valid_until: null });
  assert.deepEqual(shopRow(shop({ licences: [permit(), licence] }), NOW).documents, [
    { kind: "business_licence", url: licence.url, text: "营业执照（长期）" },
    { kind: "food_permit", url: permit().url, text: "食品经营许可证（有效期至 2028-05-31）" },
  ]);
  assert.deepEqual(
    shopRow(shop({ licences: [permit({ valid_until: null })] }), NOW).documents.map((entry) => entry.text),
    ["未上传营业执照", "食品经营许可证"],
    "a permit approved before dates were recorded",
  );
});

test("a shop whose food permit is past its date is marked 许可证已过期: it takes no orders", () => {
  const lapsed = shopRow(shop({ open: false, licences: [permit({ valid_until: "2026-11-27" })] }), NOW);
  assert.equal(lapsed.status, "许可证已过期");
  assert.deepEqual(lapsed.documents[1].text, "食品经营许可证（有效期至 2026-11-27）（已过期）");
  assert.deepEqual(lapsed.actions, ["suspend"]);
  const lastDay = shopRow(shop({ licences: [permit({ valid_until: "2026-11-28" })] }), NOW);
  assert.equal(lastDay.status, "营业中", "valid through its last day");
  const suspended = shopRow(shop({ ...SUSPENDED, licences: [permit({ valid_until: "2026-11-27" })] }), NOW);
  assert.equal(suspended.status, "已被平台暂停：食品安全抽检不合格 · 许可证已过期");
  const licence = permit({ kind: "business_licence", valid_until: "2026-01-01" }); // only a food permit stops orders
  assert.equal(shopRow(shop({ licences: [licence] }), NOW).status, "营业中");
});

test("a shop whose owner's licence renewal waits shows what it sends, to approve with its dates or decline", () => {
  const row = shopRow(shop({ licence_renewal: RENEWAL, licences: [permit()] }), NOW);
  assert.deepEqual(row.renewal, {
    text: "证照更新待审核：11/28 09:00 提交",
    documents: [{ kind: "food_permit", url: "https://documents.example/doc_p2", text: "食品经营许可证" }],
    dates: ["food_permit"],
  });
  assert.deepEqual(row.documents[1].text, "食品经营许可证（有效期至 2028-05-31）", "on file until approved");
  assert.deepEqual(row.actions, ["approveRenewal", "declineRenewal", "suspend"]);
  assert.deepEqual([SHOP_ACTIONS.approveRenewal, SHOP_ACTIONS.declineRenewal], ["通过", "驳回"]);
  const licence = permit({ kind: "business_licence", document_id: "doc_l2", valid_until: null });
  const both = shopRow(shop({ licence_renewal: { ...RENEWAL, documents: [...RENEWAL.documents, licence] } }), NOW);
  assert.deepEqual(both.renewal.dates, ["food_permit", "business_licence"]);
  assert.deepEqual(both.renewal.documents.map((entry) => entry.text), ["营业执照", "食品经营许可证"]);
  const suspended = shopRow(shop({ ...SUSPENDED, licence_renewal: RENEWAL }), NOW);
  assert.deepEqual(suspended.actions, ["approveRenewal", "declineRenewal", "reinstate"]);
  for (const status of ["APPROVED", "DECLINED"]) {
    const decided = shopRow(shop({ licence_renewal: { ...RENEWAL, status, reason: "照片模糊" } }), NOW);
    assert.deepEqual([decided.renewal, decided.actions], [null, ["suspend"]], status);
  }
});

test("approving a renewal needs the food permit's date only when it sends one; declining, a reason", () => {
  assert.deepEqual(renewalApprovalBody(RENEWAL, { food_permit: "2028-11-30" }, NOW), {
    body: { approve: true, food_permit_valid_until: "2028-11-30" },
  });
  assert.deepEqual(renewalApprovalBody(RENEWAL, { food_permit: "" }, NOW), { error: "请填写食品经营许可证的有效期。" });
  assert.deepEqual(renewalApprovalBody(RENEWAL, { food_permit: "2026-11-27" }, NOW), { error: "有效期已过，不能通过。" });
  const licence = { ...RENEWAL, documents: [permit({ kind: "business_licence", valid_until: null })] };
  assert.deepEqual(renewalApprovalBody(licence, {}, NOW), {
    body: { approve: true, business_licence_valid_until: null },
  });
  assert.deepEqual(renewalApprovalBody(licence, { business_licence: "2036-01-01", food_permit: "" }, NOW), {
    body: { approve: true, business_licence_valid_until: "2036-01-01" },
  });
  assert.deepEqual(renewalDeclineBody(" 照片模糊 "), { body: { approve: false, reason: "照片模糊" } });
  assert.deepEqual(renewalDeclineBody(" "), { error: "请填写驳回原因：店主会看到。" });
  assert.deepEqual(renewalDeclineBody("糊".repeat(201)), { error: "驳回原因最多 200 个字。" });
});

test("suspending takes a reason the owner reads, of at most 200 characters", () => {
  assert.deepEqual(suspendBody(" 食品安全抽检不合格 "), { body: { suspended: true, reason: "食品安全抽检不合格" } });
  for (const missing of [null, "", "   "]) assert.deepEqual(suspendBody(missing), { error: "请填写暂停原因：店主会看到。" });
  assert.equal(suspendBody("差".repeat(200)).body.reason.length, 200);
  assert.deepEqual(suspendBody("差".repeat(201)), { error: "暂停原因最多 200 个字。" });
  assert.ok(suspendBody("😀".repeat(200)).body, "counted in characters, not UTF-16 units");
});

test("the list asks for a part of the name and the chosen standing", () => {
  assert.deepEqual(Object.values(STANDINGS), ["全部", "正常", "已暂停"]);
  assert.deepEqual(shopsPath({ name: "", standing: "all" }), { path: "/admin/merchants?limit=50" });
  assert.deepEqual(shopsPath({ name: " 老王 ", standing: "suspended" }), {
    path: "/admin/merchants?name=%E8%80%81%E7%8E%8B&suspended=true&limit=50",
  });
  assert.deepEqual(shopsPath({ name: "A&B 小吃", standing: "active" }), {
    path: "/admin/merchants?name=A%26B+%E5%B0%8F%E5%90%83&suspended=false&limit=50",
  });
  assert.deepEqual(shopsPath({ standing: "all" }), { path: "/admin/merchants?limit=50" });
  assert.deepEqual(shopsPath({ name: "店".repeat(61), standing: "all" }), { error: "店名最多 60 个字。" });
});

test("the list asks only for the shops whose licence renewal waits for review when 证照待审核 is ticked", () => {
  assert.deepEqual(shopsPath({ name: "", standing: "all", renewal: true }), {
    path: "/admin/merchants?renewal_pending=true&limit=50",
  });
  assert.deepEqual(shopsPath({ name: "老王", standing: "active", renewal: true }), {
    path: "/admin/merchants?name=%E8%80%81%E7%8E%8B&suspended=false&renewal_pending=true&limit=50",
  });
  assert.deepEqual(shopsPath({ name: "", standing: "all", renewal: false }), { path: "/admin/merchants?limit=50" });
});

test("a suspended shop's owner is told why and that no order comes in until the platform reinstates it", () => {
  const notice = "店铺已被平台暂停营业：食品安全抽检不合格。暂停期间不能接新订单，请联系平台。";
  assert.equal(suspensionNotice(shop(SUSPENDED)), notice);
  assert.equal(suspensionNotice(shop({ ...SUSPENDED, suspension_reason: "食品安全抽检不合格。" })), notice);
  assert.equal(suspensionNotice(shop()), null);
  assert.equal(suspensionNotice(undefined), null);
});

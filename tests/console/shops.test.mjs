// The shops as operators manage them (console/shops.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SHOP_ACTIONS, STANDINGS, shopRow, shopsPath, suspendBody, suspensionNotice } from "../../console/shops.js";

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
  const permit = {
    kind: "food_permit",
    document_id: "doc_p1",
    content_type: "image/png",
    uploaded_at: "2026-11-27T06:00:00.000Z",
    url: "https://documents.example/doc_p1?X-Amz-Signature=ab",
  };
  const licence = { ...permit, kind: "business_licence", url: "https://documents.example/doc_l1" };
  assert.deepEqual(shopRow(shop({ licences: [licence, permit] })).documents, [
    { kind: "business_licence", url: licence.url, text: "营业执照" },
    { kind: "food_permit", url: permit.url, text: "食品经营许可证" },
  ]);
  assert.deepEqual(
    shopRow(shop({ licences: [permit] })).documents.map((entry) => entry.text),
    ["未上传营业执照", "食品经营许可证"],
  );
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

test("a suspended shop's owner is told why and that no order comes in until the platform reinstates it", () => {
  const notice = "店铺已被平台暂停营业：食品安全抽检不合格。暂停期间不能接新订单，请联系平台。";
  assert.equal(suspensionNotice(shop(SUSPENDED)), notice);
  assert.equal(suspensionNotice(shop({ ...SUSPENDED, suspension_reason: "食品安全抽检不合格。" })), notice);
  assert.equal(suspensionNotice(shop()), null);
  assert.equal(suspensionNotice(undefined), null);
});

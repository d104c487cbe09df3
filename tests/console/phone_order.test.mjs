// The console's phone orders (console/phone_order.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { e164, orderBody, placeRow } from "../../console/phone_order.js";

const PLACE = { formatted_address: "上海市黄浦区人民广场", lat: 31.2317, lng: 121.4726, distance_m: 376, deliverable: true };
const form = (fields = {}) => ({
  channel: "phone",
  payment: "cash_on_delivery",
  name: " 陈女士 ",
  phone: "138 0000 0301",
  place: PLACE,
  room: "1 号楼 1201",
  note: "",
  quantities: { prd_1: "2", prd_2: "", prd_3: "0" },
  ...fields,
});

test("a place shows where, how far, and when the store does not deliver there", () => {
  assert.deepEqual(placeRow(PLACE), { label: "上海市黄浦区人民广场 · 376 米", deliverable: true });
  assert.equal(placeRow({ ...PLACE, distance_m: 15_400, deliverable: false }).label, "上海市黄浦区人民广场 · 15.4 公里 · 不在配送范围");
});

test("phone numbers as people say them become E.164", () => {
  assert.equal(e164("138 0000 0301"), "+8613800000301");
  assert.equal(e164("+86 138-0000-0301"), "+8613800000301");
  assert.equal(e164("12345"), null);
  assert.equal(e164(""), null);
});

test("the form becomes the order's body: the dishes ordered, the picked place with the room, the contact", () => {
  assert.deepEqual(orderBody(form()), {
    body: {
      channel: "phone",
      payment: "cash_on_delivery",
      items: [{ product_id: "prd_1", quantity: 2 }],
      address: {
        lat: 31.2317,
        lng: 121.4726,
        detail: "上海市黄浦区人民广场 1 号楼 1201",
        contact_name: "陈女士",
        contact_phone: "+8613800000301",
      },
    },
  });
  assert.equal(orderBody(form({ note: " 少辣 " })).body.note, "少辣");
});

test("what is missing or mistyped is said, one thing at a time", () => {
  assert.match(orderBody(form({ quantities: { prd_1: "" } })).error, /至少选一个/);
  assert.match(orderBody(form({ quantities: { prd_1: "1.5" } })).error, /整数/);
  assert.match(orderBody(form({ quantities: { prd_1: "100" } })).error, /整数/);
  assert.match(orderBody(form({ name: "  " })).error, /称呼/);
  assert.match(orderBody(form({ phone: "1380000" })).error, /电话/);
  assert.match(orderBody(form({ place: null })).error, /查找地址/);
});

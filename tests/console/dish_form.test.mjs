// The console's dish form (console/dish_form.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { categoryChoices, dishEdit, dishFields, newDishBody, photoTooBig, photoType } from "../../console/dish_form.js";
import { fenOf } from "../../console/orders.js";

const PRODUCT = { id: "prd_1", name: "生煎包", price: 1800, category_id: "cat_1", description: "", version: 3 };
const form = (fields = {}) => ({ name: " 蟹粉小笼 ", price: "28.5", category: "cat_1", description: "", stock: "", ...fields });

test("yuan as people type them become fen", () => {
  assert.equal(fenOf("12"), 1200);
  assert.equal(fenOf(" ¥12.5 "), 1250);
  assert.equal(fenOf("￥0.01"), 1);
  assert.equal(fenOf("0"), 0);
  for (const wrong of ["", "12.345", "-1", "1e3", "十二", "1,000"]) assert.equal(fenOf(wrong), null, wrong);
});

test("a new dish: its name, its price in fen, its category, and no stock limit unless one is typed", () => {
  assert.deepEqual(newDishBody(form()), {
    body: { name: "蟹粉小笼", price: 2850, category_id: "cat_1", description: "", stock: null },
  });
  assert.equal(newDishBody(form({ stock: " 40 " })).body.stock, 40);
  assert.equal(newDishBody(form({ category: "" })).body.category_id, null);
  assert.equal(newDishBody(form({ price: "0" })).body.price, 0); // a free side dish
});

test("what is missing or mistyped in a dish is said, one thing at a time", () => {
  assert.match(newDishBody(form({ name: "  " })).error, /名称/);
  assert.match(newDishBody(form({ name: "面".repeat(61) })).error, /最多 60/);
  assert.match(newDishBody(form({ price: "二十" })).error, /价格/);
  assert.match(newDishBody(form({ price: "1000000.01" })).error, /价格/);
  assert.match(newDishBody(form({ description: "好".repeat(501) })).error, /描述/);
  assert.match(newDishBody(form({ stock: "1.5" })).error, /库存/);
});

test("an edit sends only what changed, with the version it was read at", () => {
  const fields = { ...dishFields(PRODUCT), stock: "" };
  assert.deepEqual(fields, { name: "生煎包", price: "18.00", category: "cat_1", description: "", stock: "" });
  assert.deepEqual(dishEdit(fields, PRODUCT), { unchanged: true });
  assert.deepEqual(dishEdit({ ...fields, price: "19" }, PRODUCT), { body: { version: 3, price: 1900 } });
  assert.deepEqual(dishEdit({ ...fields, category: "", description: "四只" }, PRODUCT), {
    body: { version: 3, category_id: null, description: "四只" },
  });
  assert.match(dishEdit({ ...fields, name: "" }, PRODUCT).error, /名称/);
});

test("the categories to pick from start with none", () => {
  assert.deepEqual(categoryChoices([{ id: "cat_1", name: "点心" }]), [
    { id: "", name: "不分类" },
    { id: "cat_1", name: "点心" },
  ]);
  assert.deepEqual(categoryChoices(undefined), [{ id: "", name: "不分类" }]);
});

test("a photo must be a JPEG, PNG or WebP, and one too big says how big it may be", () => {
  assert.deepEqual(photoType(null), { type: null });
  assert.deepEqual(photoType({ type: "image/png" }), { type: "image/png" });
  assert.match(photoType({ type: "image/gif" }).error, /JPEG/);
  assert.equal(photoTooBig(5 * 1024 * 1024), "图片不能超过 5 MB。");
});

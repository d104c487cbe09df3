// The console's dish form (console/dish_form.js) under node's test runner; tests/unit/test_console.py runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  categoryChoices,
  dishEdit,
  dishFields,
  newDishBody,
  optionGroups,
  optionsText,
  photoTooBig,
  photoType,
} from "../../console/dish_form.js";
import { fenOf } from "../../console/orders.js";

const PRODUCT = { id: "prd_1", name: "生煎包", price: 1800, category_id: "cat_1", description: "", version: 3 };
const form = (fields = {}) => ({
  name: " 蟹粉小笼 ",
  price: "28.5",
  category: "cat_1",
  description: "",
  options: "",
  stock: "",
  ...fields,
});

test("yuan as people type them become fen", () => {
  assert.equal(fenOf("12"), 1200);
  assert.equal(fenOf(" ¥12.5 "), 1250);
  assert.equal(fenOf("￥0.01"), 1);
  assert.equal(fenOf("0"), 0);
  for (const wrong of ["", "12.345", "-1", "1e3", "十二", "1,000"]) assert.equal(fenOf(wrong), null, wrong);
});

test("a new dish: its name, its price in fen, its category, and no stock limit unless one is typed", () => {
  assert.deepEqual(newDishBody(form()), {
    body: { name: "蟹粉小笼", price: 2850, category_id: "cat_1", description: "", options: [], stock: null },
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
  assert.deepEqual(fields, { name: "生煎包", price: "18.00", category: "cat_1", description: "", options: "", stock: "" });
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

const group = (name, min, max, ...options) => ({
  name,
  min,
  max,
  options: options.map(([option, delta]) => ({ name: option, price_delta: delta })),
});
const SIZES = group("规格", 1, 1, ["小", 0], ["大", 300]);
const ADD_ONS = group("加料", 0, 2, ["蛋", 200], ["肠", 250], ["菜", 0]);

test("a dish's options are a group a line: which to pick (必选, at most one, 选 0-2) and what each adds in yuan", () => {
  const text = optionsText([SIZES, ADD_ONS, { ...SIZES, name: "辣度", min: 0 }]);
  assert.equal(text, "规格（必选）：小、大+3.00\n加料（选 0-2）：蛋+2.00、肠+2.50、菜\n辣度：小、大+3.00");
  assert.deepEqual(optionGroups(text), { groups: [SIZES, ADD_ONS, { ...SIZES, name: "辣度", min: 0 }] });
  assert.deepEqual(optionGroups("规格(必选): 小, 大 ＋3\n\n加料（选0～2）：蛋+2，肠+2.5，菜").groups, [SIZES, ADD_ONS]);
  assert.deepEqual(optionGroups("  "), { groups: [] });
});

test("options that can't be are said, naming the line", () => {
  for (const wrong of ["规格", "规格：", "加料（选 0-3）：蛋、肠", "加料（选 2-1）：蛋、肠", "规格：大+三元", `${"长".repeat(31)}：小`]) {
    assert.match(optionGroups(`辣度：微辣\n${wrong}`).error, /第 2 行/, wrong);
  }
  assert.match(optionGroups(Array(11).fill("规格：小").join("\n")).error, /最多 10 组/);
});

test("a new dish carries its options, and an edit sends them only when they changed", () => {
  assert.deepEqual(newDishBody(form({ options: "规格（必选）：小、大+3" })).body.options, [SIZES]);
  assert.match(newDishBody(form({ options: "规格：" })).error, /第 1 行/);
  const withSizes = { ...PRODUCT, options: [SIZES] };
  const fields = { ...dishFields(withSizes), stock: "" };
  assert.equal(fields.options, "规格（必选）：小、大+3.00");
  assert.deepEqual(dishEdit(fields, withSizes), { unchanged: true });
  assert.deepEqual(dishEdit({ ...fields, options: "规格（必选）：小、大+4" }, withSizes), {
    body: { version: 3, options: [{ ...SIZES, options: [SIZES.options[0], { name: "大", price_delta: 400 }] }] },
  });
  assert.deepEqual(dishEdit({ ...fields, options: "" }, withSizes), { body: { version: 3, options: [] } });
});

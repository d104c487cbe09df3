// The console's delivery settings (console/delivery_settings.js) under node's test runner; tests/unit/test_console.py
// runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { deliveryBody, deliveryFields, deliveryProblem, newAreaFields, polygonRing } from "../../console/delivery_settings.js";

const SQUARE = [
  [121.471, 31.228],
  [121.481, 31.228],
  [121.481, 31.238],
  [121.471, 31.238],
  [121.471, 31.228],
];
// as GET /merchants/{merchantId}/delivery answers (tests/integration/test_catalog_delivery.py's SETTINGS)
const SETTINGS = {
  mode: "self",
  carrier: null,
  carrier_shop: null,
  allow_carrier_fallback: false,
  areas: [
    {
      name: "步行圈",
      priority: 10,
      radius_m: null,
      polygon: { type: "Polygon", coordinates: [SQUARE] },
      min_order: 1000,
      fees: {
        base_fee: 200,
        base_distance_m: 3000,
        tiers: [],
        surcharges: [{ code: "night", label: "夜间", start: "22:00:00", end: "06:00:00", amount: 300 }],
        weight: { free_g: 5000, fee_per_kg: 150 },
        free_over: 5000,
      },
    },
    {
      name: "外圈",
      priority: 0,
      radius_m: 3000,
      polygon: null,
      min_order: 3000,
      fees: {
        base_fee: 600,
        base_distance_m: 1000,
        tiers: [
          { up_to_m: 3000, fee_per_km: 100 },
          { up_to_m: 5000, fee_per_km: 150 },
        ],
        surcharges: [],
        weight: null,
        free_over: null,
      },
    },
  ],
};
const SQUARE_LINES = "121.471,31.228\n121.481,31.228\n121.481,31.238\n121.471,31.238\n121.471,31.228";

// the form's fields with ``change`` made to the area at ``index``
function withArea(index, change) {
  const fields = deliveryFields(SETTINGS);
  fields.areas[index] = { ...fields.areas[index], ...change };
  return fields;
}

test("the form shows who delivers and each area, money in yuan and distances in metres", () => {
  assert.deepEqual(deliveryFields(SETTINGS), {
    mode: "self",
    fallback: false,
    shopNo: "",
    cityCode: "",
    areas: [
      {
        from: 0,
        name: "步行圈",
        priority: "10",
        shape: "polygon",
        radius: "",
        polygon: SQUARE_LINES,
        minOrder: "¥10.00",
        baseFee: "¥2.00",
        baseDistance: "3000",
        tiers: "",
        surcharges: "night 夜间 22:00-06:00 +¥3.00",
        weightFree: "5000",
        weightFee: "¥1.50",
        freeOver: "¥50.00",
      },
      {
        from: 1,
        name: "外圈",
        priority: "0",
        shape: "radius",
        radius: "3000",
        polygon: "",
        minOrder: "¥30.00",
        baseFee: "¥6.00",
        baseDistance: "1000",
        tiers: "3000米内 每公里 ¥1.00\n5000米内 每公里 ¥1.50",
        surcharges: "",
        weightFree: "",
        weightFee: "",
        freeOver: "",
      },
    ],
  });
  const dada = { ...SETTINGS, mode: "carrier", carrier: "dada", carrier_shop: { shop_no: "11047059", city_code: "021" } };
  assert.deepEqual(
    [deliveryFields(dada).mode, deliveryFields(dada).shopNo, deliveryFields(dada).cityCode],
    ["carrier", "11047059", "021"],
  );
});

test("the form as filled sends the settings back unchanged", () => {
  assert.deepEqual(deliveryBody(deliveryFields(SETTINGS), SETTINGS), { unchanged: true });
  const dada = { ...SETTINGS, allow_carrier_fallback: true, carrier: "dada", carrier_shop: { shop_no: "S1", city_code: "021" } };
  assert.deepEqual(deliveryBody(deliveryFields(dada), dada), { unchanged: true });
});

test("the settings whole are sent, with what was changed", () => {
  const fields = withArea(1, {
    baseFee: "6.5",
    tiers: "3000米以内，每公里 1.2元\n\n 8000 米内 每公里 ¥2 ",
    surcharges: "night 夜间 22:00-6:00 +3\nlunch 午高峰 午间 11:00 ~ 13:00 ＋¥1.50",
    freeOver: "¥40",
  });
  const { body } = deliveryBody(fields, SETTINGS);
  assert.deepEqual(body.areas[0], SETTINGS.areas[0]);
  assert.deepEqual(body.areas[1].fees, {
    base_fee: 650,
    base_distance_m: 1000,
    tiers: [
      { up_to_m: 3000, fee_per_km: 120 },
      { up_to_m: 8000, fee_per_km: 200 },
    ],
    surcharges: [
      { code: "night", label: "夜间", start: "22:00:00", end: "06:00:00", amount: 300 },
      { code: "lunch", label: "午高峰 午间", start: "11:00:00", end: "13:00:00", amount: 150 },
    ],
    weight: null,
    free_over: 4000,
  });
  assert.deepEqual(
    deliveryBody(withArea(0, { weightFree: "", weightFee: " ", freeOver: "", minOrder: "" }), SETTINGS).body.areas[0],
    { ...SETTINGS.areas[0], min_order: 0, fees: { ...SETTINGS.areas[0].fees, weight: null, free_over: null } },
  );
  const radius = deliveryBody(withArea(0, { shape: "radius", radius: "1200" }), SETTINGS).body.areas[0];
  assert.deepEqual([radius.radius_m, radius.polygon], [1200, null]);
});

test("an added area is sent after the others, a removed one is not, and what the form does not show is kept", () => {
  const unknown = {
    ...SETTINGS,
    zone_note: "kept",
    areas: SETTINGS.areas.map((area) => ({ ...area, colour: "red", fees: { ...area.fees, rounding: "up" } })),
  };
  const fields = deliveryFields(unknown);
  const added = {
    ...newAreaFields(),
    name: "江对岸",
    priority: "20",
    shape: "polygon",
    polygon: "121.50,31.23\n121.51,31.23\n121.51,31.24",
    baseFee: "8",
    baseDistance: "0",
  };
  const { body } = deliveryBody({ ...fields, areas: [fields.areas[1], added] }, unknown);
  assert.equal(body.zone_note, "kept");
  assert.deepEqual(body.areas[0], unknown.areas[1]);
  assert.deepEqual(body.areas[1], {
    name: "江对岸",
    priority: 20,
    radius_m: null,
    polygon: {
      type: "Polygon",
      coordinates: [
        [
          [121.5, 31.23],
          [121.51, 31.23],
          [121.51, 31.24],
          [121.5, 31.23],
        ],
      ],
    },
    min_order: 0,
    fees: { base_fee: 800, base_distance_m: 0, tiers: [], surcharges: [], weight: null, free_over: null },
  });
});

test("a carrier is named when it delivers all or is the fallback, and only then", () => {
  const fields = deliveryFields(SETTINGS);
  const dada = { carrier: "dada", carrier_shop: { shop_no: "11047059", city_code: "021" } };
  const fallback = deliveryBody({ ...fields, fallback: true, shopNo: " 11047059 ", cityCode: "021" }, SETTINGS).body;
  assert.deepEqual(fallback, { ...SETTINGS, ...dada, allow_carrier_fallback: true });
  const carrier = deliveryBody({ ...fields, mode: "carrier", fallback: true, shopNo: "11047059", cityCode: "021" }, SETTINGS);
  assert.deepEqual(carrier.body, { ...SETTINGS, ...dada, mode: "carrier" }); // no fallback from the carrier to itself
  const withDada = { ...SETTINGS, ...dada, allow_carrier_fallback: true };
  const own = deliveryBody({ ...deliveryFields(withDada), fallback: false }, withDada).body;
  assert.deepEqual([own.carrier, own.carrier_shop, own.allow_carrier_fallback], [null, null, false]);
  assert.match(deliveryBody({ ...fields, mode: "carrier", shopNo: "", cityCode: "021" }, SETTINGS).error, /门店编号/);
  assert.match(deliveryBody({ ...fields, mode: "carrier", shopNo: "1", cityCode: "21" }, SETTINGS).error, /城市编码/);
  assert.match(deliveryBody({ ...fields, mode: "drone" }, SETTINGS).error, /配送方式/);
});

test("a distance tier is a line: up to how many metres, and the price per kilometre", () => {
  const tiers = (text) => deliveryBody(withArea(1, { tiers: text }), SETTINGS).error;
  assert.equal(
    tiers("3000米内 每公里 ¥1.00\n5000: 1.50"),
    "第 2 个区域（外圈）：距离加价第 2 行写法不对：如 5000米内 每公里 ¥1.50。",
  );
  assert.match(tiers("3000米内 每公里 一元"), /^第 2 个区域（外圈）：距离加价第 1 行写法不对/);
  assert.match(tiers("200000米内 每公里 ¥1"), /第 1 行写法不对/);
  assert.equal(
    tiers("\n5000米内 每公里 ¥1\n4000米内 每公里 ¥2"),
    "第 2 个区域（外圈）：距离加价第 3 行的距离须大于 5000 米（基础距离和上一行）。",
  );
  assert.match(tiers("1000米内 每公里 ¥1"), /第 1 行的距离须大于 1000 米/); // not beyond the base distance
  assert.match(tiers(Array.from({ length: 11 }, (_, i) => `${2000 + i * 1000}米内 每公里 ¥1`).join("\n")), /最多 10 行/);
});

test("a time surcharge is a line: code, name, China-time window and amount", () => {
  const surcharges = (text) => deliveryBody(withArea(0, { surcharges: text }), SETTINGS).error;
  assert.match(surcharges("夜间 22:00-06:00 +3"), /^第 1 个区域（步行圈）：时段加价第 1 行写法不对/);
  assert.match(surcharges("Night 夜间 22:00-06:00 +3"), /第 1 行的代码须为小写/);
  assert.match(surcharges("weight 重货 22:00-06:00 +3"), /第 1 行的代码不能用/);
  assert.match(surcharges("night 夜间 22:00-06:00 +3\nnight 深夜 00:00-05:00 +5"), /第 2 行的代码 night 与前面重复/);
  assert.match(surcharges("night 夜间 22:00-22:00 +3"), /第 1 行的时段不对/);
  assert.match(surcharges("night 夜间 20:00-24:00 +3"), /第 1 行的时段不对/);
  assert.match(surcharges("night 夜间 25:00-06:00 +3"), /第 1 行的时段不对/);
  assert.match(surcharges("night 夜间 22:00-06:00 +3.005"), /第 1 行的金额不对/);
  assert.match(surcharges(`night ${"夜".repeat(33)} 22:00-06:00 +3`), /第 1 行的名称最多 32 个字/);
});

test("each field of an area that is wrong is said, naming the area", () => {
  const wrong = (index, change) => deliveryBody(withArea(index, change), SETTINGS).error;
  assert.equal(wrong(1, { name: " " }), "第 2 个区域：名称须为 1 到 32 个字。");
  assert.match(wrong(1, { priority: "1001" }), /^第 2 个区域（外圈）：优先级/);
  assert.match(wrong(1, { radius: "0" }), /半径须为正整数/);
  assert.match(wrong(1, { shape: "circle" }), /选择范围/);
  assert.match(wrong(1, { minOrder: "三十" }), /起送价/);
  assert.match(wrong(1, { baseFee: "" }), /基础配送费/);
  assert.match(wrong(1, { baseDistance: "1.5" }), /基础距离/);
  assert.match(wrong(0, { weightFee: "" }), /超重加价须同时填写/);
  assert.match(wrong(0, { weightFree: "5kg" }), /超重加价/);
  assert.match(wrong(0, { freeOver: "-1" }), /满额免配送费/);
  assert.match(wrong(0, { polygon: "" }), /^第 1 个区域（步行圈）：请粘贴多边形/);
  const fields = deliveryFields(SETTINGS);
  assert.match(deliveryBody({ ...fields, areas: [] }, SETTINGS).error, /1 到 10 个/);
  const eleven = Array.from({ length: 11 }, () => fields.areas[1]);
  assert.match(deliveryBody({ ...fields, areas: eleven }, SETTINGS).error, /1 到 10 个/);
});

test("money is typed in yuan and sent in fen", () => {
  const fee = (typed) => deliveryBody(withArea(1, { baseFee: typed }), SETTINGS).body?.areas[1].fees.base_fee;
  assert.deepEqual(["5", "5.5", "¥5.05", "￥0.10", " 12.00 "].map(fee), [500, 550, 505, 10, 1200]);
  assert.deepEqual(["5.555", "-5", "五", "5元"].map(fee), [undefined, undefined, undefined, undefined]);
});

test("a polygon is pasted as GeoJSON or as lng,lat lines, and closed when it was not", () => {
  const ring = SQUARE;
  assert.deepEqual(polygonRing(SQUARE_LINES), { ring });
  assert.deepEqual(polygonRing("121.471,31.228\n121.481, 31.228\n\n121.481，31.238\n121.471 31.238"), { ring });
  const geometry = { type: "Polygon", coordinates: [SQUARE.slice(0, 4)] };
  assert.deepEqual(polygonRing(JSON.stringify(geometry)), { ring });
  assert.deepEqual(polygonRing(JSON.stringify({ type: "Feature", properties: {}, geometry })), { ring });
});

test("a polygon that cannot be one is said, with the line or point", () => {
  const error = (text) => polygonRing(text).error;
  assert.equal(error("121.471,31.228\n121.481;31.228\n121.481,31.238"), "多边形第 2 行不是 经度,纬度（如 121.4737,31.2304）。");
  assert.equal(error("121.471,31.228\n31.228,121.481\n121.481,31.238"), "多边形第 2 行像是先写了纬度：请按 经度,纬度 的顺序。");
  assert.match(error("121.471,31.228\n200,31.228\n121.481,31.238"), /第 2 行超出经纬度范围/);
  assert.match(error("121.471,31.228\n121.481,31.228\n121.471,31.228"), /须有 3 到 200 个点，现有 2 个/);
  const many = Array.from({ length: 201 }, (_, i) => `${121 + i / 1000},${31 + (i % 2) / 1000}`).join("\n");
  assert.match(error(many), /现有 201 个/);
  assert.match(error("{ not json"), /不是有效的 GeoJSON/);
  assert.match(error(JSON.stringify({ type: "Point", coordinates: [121, 31] })), /须为一个 Polygon/);
  assert.match(error(JSON.stringify({ type: "Polygon", coordinates: [SQUARE, SQUARE] })), /不支持中间挖空/);
  assert.match(error(JSON.stringify({ type: "Polygon", coordinates: [[[121, 31, 5], ...SQUARE]] })), /第 1 个点不是/);
  assert.match(error(JSON.stringify({ type: "Polygon", coordinates: [[[31.2, 121.4], ...SQUARE]] })), /第 1 个点像是先写了纬度/);
});

test("the API's refusals are said in the merchant's words, naming the area", () => {
  const sent = deliveryBody(withArea(1, { baseFee: "7" }), SETTINGS).body;
  const edges = { reason: "self_intersects", edges: [0, 2], area: 0 };
  assert.equal(
    deliveryProblem("INVALID_POLYGON", edges, sent),
    "第 1 个区域（步行圈）：多边形的第 1 条边和第 3 条边相交：请沿边界按顺序取点，不要交叉。",
  );
  assert.match(deliveryProblem("INVALID_POLYGON", { reason: "too_small", area: 0 }, sent), /多边形太小/);
  assert.equal(
    deliveryProblem("AREA_TOO_LARGE", { area: 1, reach_m: 20000, max_m: 10000 }, sent),
    "第 2 个区域（外圈）：最远处离店 20000 米，超出了 10000 米的配送上限。",
  );
  assert.match(deliveryProblem("AREAS_TOO_DETAILED", { bytes: 400000, max_bytes: 300000 }, sent), /无法保存/);
  const invalid = { errors: [{ loc: ["body", "areas", "1", "fees"], type: "value_error", msg: "Value error, odd" }] };
  assert.equal(deliveryProblem("VALIDATION_ERROR", invalid, sent), "第 2 个区域（外圈）的设置没有通过检查：Value error, odd");
  assert.equal(deliveryProblem("VALIDATION_ERROR", { errors: [{ loc: ["body"], msg: "odd" }] }, sent), null);
  assert.equal(deliveryProblem("MERCHANT_NOT_FOUND", {}, sent), null);
});

// The merchant console's delivery settings: who delivers (our riders, with or without Dada as a fallback, or Dada
// for all) and the areas delivered to, each a radius around the shop or a polygon picked on the map, with its
// minimum order and fees (base fee, per-kilometre tiers, time surcharges, weight surcharge, free delivery). What
// GET /merchants/{merchantId}/delivery answers made into the form's fields, and the form into PUT …/delivery's body
// (the settings whole: the API replaces them), or what is wrong with it; and the API's refusals in the merchant's
// words. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { fenOf, yuan } from "./orders.js";
import { dayRanges } from "./shop_settings.js";

/** Who delivers (catalog/delivery.py DeliverySettings.mode), as the form offers it. */
export const MODE_CHOICES = { self: "自配送", carrier: "第三方配送（达达）" };
/** What an area's shape is, as the form offers it. */
export const SHAPE_CHOICES = { radius: "以店为圆心的半径", polygon: "多边形（地图上取点）" };
export const MAX_AREAS = 10; // catalog/delivery.py: DeliverySettings.areas
const MAX_LINES = 10; // an area's tiers, its surcharges
const MAX_METRES = 100_000; // Metres
const MAX_PRIORITY = 1000;
const MAX_LABEL = 32; // Label: an area's name, a surcharge's label
const MAX_CORNERS = 200; // catalog/areas.py MAX_VERTICES
const RESERVED_CODES = ["base", "distance", "weight", "free_delivery"]; // the fee lines' own codes
const DEFAULT_CARRIER = "dada"; // the only carrier the API knows

/** The form's fields for ``settings`` (as GET …/delivery answers). Money in yuan (¥5.00), distances in metres. */
export function deliveryFields(settings) {
  return {
    mode: settings.mode,
    fallback: settings.allow_carrier_fallback,
    shopNo: settings.carrier_shop?.shop_no ?? "",
    cityCode: settings.carrier_shop?.city_code ?? "",
    areas: settings.areas.map(areaFields),
  };
}

/** An area's fields; ``from`` is its index in the settings read, so that a save keeps what the form does not show. */
function areaFields(area, from) {
  const { fees } = area;
  return {
    from,
    name: area.name,
    priority: `${area.priority}`,
    shape: area.polygon ? "polygon" : "radius",
    radius: area.radius_m === null ? "" : `${area.radius_m}`,
    polygon: area.polygon ? area.polygon.coordinates[0].map(([lng, lat]) => `${lng},${lat}`).join("\n") : "",
    minOrder: yuan(area.min_order),
    baseFee: yuan(fees.base_fee),
    baseDistance: `${fees.base_distance_m}`,
    tiers: fees.tiers.map(tierText).join("\n"),
    surcharges: fees.surcharges.map(surchargeText).join("\n"),
    weightFree: fees.weight ? `${fees.weight.free_g}` : "",
    weightFee: fees.weight ? yuan(fees.weight.fee_per_kg) : "",
    freeOver: fees.free_over === null ? "" : yuan(fees.free_over),
  };
}

/** The fields of an area the merchant adds: nothing to keep, its shape and prices still to fill in. */
export function newAreaFields() {
  return {
    from: null,
    name: "",
    priority: "0",
    shape: "radius",
    radius: "",
    polygon: "",
    minOrder: "",
    baseFee: "",
    baseDistance: "",
    tiers: "",
    surcharges: "",
    weightFree: "",
    weightFee: "",
    freeOver: "",
  };
}

/** A distance tier as the form shows it, a line each: 5000米内 每公里 ¥1.50. */
function tierText(tier) {
  return `${tier.up_to_m}米内 每公里 ${yuan(tier.fee_per_km)}`;
}

/** A time surcharge as the form shows it, a line each: night 夜间 22:00-06:00 +¥3.00 (code, label, window, amount). */
function surchargeText(surcharge) {
  const span = `${surcharge.start.slice(0, 5)}-${surcharge.end.slice(0, 5)}`; // the API's times have seconds
  return `${surcharge.code} ${surcharge.label} ${span} +${yuan(surcharge.amount)}`;
}

/**
 * The settings the form describes, from ``settings`` (what the form was filled from): ``{ body }`` for PUT (whole,
 * with whatever the form does not show kept as it was), ``{ unchanged: true }``, or the first thing to put right,
 * ``{ error }``, naming the area, the field and the line.
 */
export function deliveryBody(fields, settings) {
  if (!(fields.mode in MODE_CHOICES)) return { error: "请在列表中选择配送方式。" };
  const usesCarrier = fields.mode === "carrier" || fields.fallback;
  let carrierShop = null;
  if (usesCarrier) {
    const shopNo = (fields.shopNo ?? "").trim();
    const cityCode = (fields.cityCode ?? "").trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(shopNo)) return { error: "达达门店编号须为 1 到 64 位字母、数字、- 或 _。" };
    if (!/^\d{3,4}$/.test(cityCode)) return { error: "城市编码须为 3 到 4 位数字，如上海 021。" };
    carrierShop = { ...settings.carrier_shop, shop_no: shopNo, city_code: cityCode };
  }
  if (!fields.areas.length || fields.areas.length > MAX_AREAS) return { error: `配送区域须有 1 到 ${MAX_AREAS} 个。` };
  const areas = [];
  for (const [index, typed] of fields.areas.entries()) {
    const area = areaBody(typed, settings.areas[typed.from]);
    if (area.error) return { error: `${areaName(index, typed.name)}：${area.error}` };
    areas.push(area.body);
  }
  const body = {
    ...settings,
    mode: fields.mode,
    carrier: usesCarrier ? (settings.carrier ?? DEFAULT_CARRIER) : null,
    carrier_shop: carrierShop,
    allow_carrier_fallback: fields.mode === "self" && fields.fallback, // the carrier already delivers all
    areas,
  };
  return JSON.stringify(body) === JSON.stringify(settings) ? { unchanged: true } : { body };
}

/** How messages name an area: 第 2 个区域（外圈）. */
function areaName(index, name) {
  const named = (name ?? "").trim();
  return `第 ${index + 1} 个区域${named ? `（${named}）` : ""}`;
}

// One area as typed, on top of ``was`` (the area read, or nothing for a new one): { body } or { error }.
function areaBody(typed, was = {}) {
  const name = (typed.name ?? "").trim();
  if (!name || [...name].length > MAX_LABEL) return { error: `名称须为 1 到 ${MAX_LABEL} 个字。` };
  const priority = wholeNumber(typed.priority, MAX_PRIORITY);
  if (priority === null) return { error: `优先级须为 0 到 ${MAX_PRIORITY} 的整数（重叠时大的优先）。` };
  let shape;
  if (typed.shape === "radius") {
    const radius = wholeNumber(typed.radius, MAX_METRES);
    if (!radius) return { error: "半径须为正整数（米），如 3000。" };
    shape = { radius_m: radius, polygon: null };
  } else if (typed.shape === "polygon") {
    const ring = polygonRing(typed.polygon);
    if (ring.error) return ring;
    shape = { radius_m: null, polygon: { type: "Polygon", coordinates: [ring.ring] } };
  } else return { error: "请在列表中选择范围。" };
  const minOrder = blank(typed.minOrder) ? 0 : fenOf(typed.minOrder);
  if (minOrder === null) return { error: "起送价须为金额，如 20 或 ¥20.00，不填为不限。" };
  const fees = feesBody(typed, was.fees);
  if (fees.error) return fees;
  return { body: { ...was, name, priority, ...shape, min_order: minOrder, fees: fees.body } };
}

function feesBody(typed, was = {}) {
  const baseFee = fenOf(typed.baseFee);
  if (baseFee === null) return { error: "基础配送费须为金额，如 5 或 ¥5.00。" };
  const baseDistance = wholeNumber(typed.baseDistance, MAX_METRES);
  if (baseDistance === null) return { error: `基础距离须为 0 到 ${MAX_METRES} 的整数（米）。` };
  const tiers = tierList(typed.tiers, baseDistance, was.tiers);
  if (tiers.error) return tiers;
  const surcharges = surchargeList(typed.surcharges, was.surcharges);
  if (surcharges.error) return surcharges;
  const weight = weightBody(typed, was.weight);
  if (weight.error) return weight;
  const freeOver = blank(typed.freeOver) ? null : fenOf(typed.freeOver);
  if (freeOver === null && !blank(typed.freeOver)) return { error: "满额免配送费须为金额，如 ¥30.00，不填为不免。" };
  const body = {
    ...was,
    base_fee: baseFee,
    base_distance_m: baseDistance,
    tiers: tiers.list,
    surcharges: surcharges.list,
    weight: weight.body,
    free_over: freeOver,
  };
  return { body };
}

// The form's lines (blank ones skipped), each with its line number for messages.
function numberedLines(text) {
  return (text ?? "")
    .split("\n")
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line);
}

/** The tiers as typed, a line each (5000米内 每公里 ¥1.50), beyond the base distance and increasing. */
function tierList(text, baseDistance, was = []) {
  const lines = numberedLines(text);
  if (lines.length > MAX_LINES) return { error: `距离加价最多 ${MAX_LINES} 行。` };
  const list = [];
  let reached = baseDistance;
  for (const { line, number } of lines) {
    const match = /^(\d{1,6})\s*米\s*以?内\s*[,，]?\s*每公里\s*(\S+?)\s*元?$/.exec(line);
    const feePerKm = match && fenOf(match[2]);
    if (feePerKm === null || Number(match[1]) > MAX_METRES) {
      return { error: `距离加价第 ${number} 行写法不对：如 5000米内 每公里 ¥1.50。` };
    }
    const upTo = Number(match[1]);
    if (upTo <= reached) return { error: `距离加价第 ${number} 行的距离须大于 ${reached} 米（基础距离和上一行）。` };
    reached = upTo;
    list.push({ ...was.find((tier) => tier.up_to_m === upTo), up_to_m: upTo, fee_per_km: feePerKm });
  }
  return { list };
}

/** The time surcharges as typed, a line each (night 夜间 22:00-06:00 +3.00), China time, each code once. */
function surchargeList(text, was = []) {
  const lines = numberedLines(text);
  if (lines.length > MAX_LINES) return { error: `时段加价最多 ${MAX_LINES} 行。` };
  const list = [];
  for (const { line, number } of lines) {
    const wrong = (why) => ({ error: `时段加价第 ${number} 行${why}` });
    const match = /^(\S+)\s+(.+?)\s+(\d{1,2}:\d{2}\s*[-–~～至到]\s*\d{1,2}:\d{2})\s*[+＋]\s*(\S+?)\s*元?$/.exec(line);
    if (!match) return wrong("写法不对：如 night 夜间 22:00-06:00 +3.00（代码 名称 时段 +金额）。");
    const [, code, label, span, amountText] = match;
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(code)) return wrong("的代码须为小写英文字母开头的字母、数字或 _，如 night。");
    if (RESERVED_CODES.includes(code)) return wrong(`的代码不能用 ${RESERVED_CODES.join("、")}。`);
    if (list.some((surcharge) => surcharge.code === code)) return wrong(`的代码 ${code} 与前面重复。`);
    if ([...label].length > MAX_LABEL) return wrong(`的名称最多 ${MAX_LABEL} 个字。`);
    const [range] = dayRanges(span.replace(/\s/g, "")) ?? [];
    if (!range || range[1] === "24:00" || range[0] === range[1]) {
      return wrong("的时段不对：如 22:00-06:00，开始和结束不能相同，24:00 请写 00:00。");
    }
    const amount = fenOf(amountText);
    if (amount === null) return wrong("的金额不对：如 +3.00。");
    const surcharge = { code, label, start: `${range[0]}:00`, end: `${range[1]}:00`, amount };
    list.push({ ...was.find((kept) => kept.code === code), ...surcharge });
  }
  return { list };
}

// The weight surcharge: both fields, or neither (no surcharge).
function weightBody(typed, was) {
  const [free, fee] = [(typed.weightFree ?? "").trim(), (typed.weightFee ?? "").trim()];
  if (!free && !fee) return { body: null };
  const freeGrams = wholeNumber(free, Number.MAX_SAFE_INTEGER);
  const feePerKg = fenOf(fee);
  if (freeGrams === null || feePerKg === null) {
    return { error: "超重加价须同时填写免费重量（克，整数）和每公斤加价（金额），或都不填。" };
  }
  return { body: { ...was, free_g: freeGrams, fee_per_kg: feePerKg } };
}

function blank(text) {
  return (text ?? "").trim() === "";
}

function wholeNumber(text, max) {
  const typed = (text ?? "").trim();
  return /^\d{1,16}$/.test(typed) && Number(typed) <= max ? Number(typed) : null;
}

/**
 * A polygon as pasted: GeoJSON (a Polygon, or a Feature with one) or ``lng,lat`` a point a line (AMap's 坐标拾取器),
 * GCJ-02. ``{ ring }`` (closed: the first point repeated at the end if it was not) or ``{ error }``.
 */
export function polygonRing(text) {
  const typed = (text ?? "").trim();
  if (!typed) return { error: "请粘贴多边形的边界：每行一个点 经度,纬度，或 GeoJSON。" };
  const points = typed.startsWith("{") ? geoJsonPoints(typed) : linePoints(typed);
  if (points.error) return points;
  const ring = [...points.list];
  const [first, last] = [ring[0], ring.at(-1)];
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push(first);
  const corners = ring.length - 1;
  if (corners < 3 || corners > MAX_CORNERS) return { error: `多边形须有 3 到 ${MAX_CORNERS} 个点，现有 ${corners} 个。` };
  return { ring };
}

function geoJsonPoints(text) {
  let geometry;
  try {
    geometry = JSON.parse(text);
  } catch {
    return { error: "多边形不是有效的 GeoJSON。" };
  }
  if (geometry?.type === "Feature") geometry = geometry.geometry;
  if (geometry?.type !== "Polygon" || !Array.isArray(geometry.coordinates)) {
    return { error: "GeoJSON 须为一个 Polygon，或含一个 Polygon 的 Feature。" };
  }
  if (geometry.coordinates.length !== 1) return { error: "多边形只能有一圈边界，不支持中间挖空。" };
  const ring = geometry.coordinates[0];
  if (!Array.isArray(ring)) return { error: "GeoJSON 的坐标须为 [经度, 纬度] 的列表。" };
  const list = [];
  for (const [index, position] of ring.entries()) {
    const valid = Array.isArray(position) && position.length === 2 && position.every(Number.isFinite);
    const point = valid ? checkedPoint(position, `第 ${index + 1} 个点`) : { error: `多边形第 ${index + 1} 个点不是 [经度, 纬度]。` };
    if (point.error) return point;
    list.push(point.position);
  }
  return { list };
}

/** A point as AMap's 坐标拾取器 copies it, 经度,纬度 (a comma, a full-width one or a space between). */
export const LNG_LAT = /^(-?\d+(?:\.\d+)?)\s*(?:[,，]|\s)\s*(-?\d+(?:\.\d+)?)$/;

function linePoints(text) {
  const list = [];
  for (const { line, number } of numberedLines(text)) {
    const match = LNG_LAT.exec(line);
    if (!match) return { error: `多边形第 ${number} 行不是 经度,纬度（如 121.4737,31.2304）。` };
    const point = checkedPoint([Number(match[1]), Number(match[2])], `第 ${number} 行`);
    if (point.error) return point;
    list.push(point.position);
  }
  return { list };
}

/** What is wrong with a [lng, lat]: null (nothing), "swapped" (a latitude given first) or "out_of_range". */
export function lngLatProblem([lng, lat]) {
  if (Math.abs(lng) <= 180 && Math.abs(lat) <= 90) return null;
  return Math.abs(lng) <= 90 && Math.abs(lat) <= 180 ? "swapped" : "out_of_range";
}

function checkedPoint(position, where) {
  const problem = lngLatProblem(position);
  if (problem === "swapped") return { error: `多边形${where}像是先写了纬度：请按 经度,纬度 的顺序。` };
  return problem ? { error: `多边形${where}超出经纬度范围。` } : { position };
}

// catalog/areas.py validate_ring and delivery._cover's reasons, in the merchant's words
const POLYGON_REASONS = {
  holes_unsupported: () => "多边形只能有一圈边界，不支持中间挖空。",
  too_few_positions: () => "多边形至少要有 3 个点。",
  too_many_positions: () => `多边形最多 ${MAX_CORNERS} 个点。`,
  not_closed: () => "多边形的边界没有闭合。",
  self_intersects: ({ edges: [one, other] }) =>
    `多边形的第 ${one + 1} 条边和第 ${other + 1} 条边相交：请沿边界按顺序取点，不要交叉。`,
  too_small: () => "多边形太小，请画大一些（至少约 100 米见方）。",
};

/**
 * The API's refusal of settings (``code`` and ``details`` of its 422) in the merchant's words, naming the area of
 * ``body`` (what was sent) it is about; null when there is nothing better to say than the API's message.
 */
export function deliveryProblem(code, details, body) {
  const named = (index) => areaName(index, body.areas[index]?.name);
  if (code === "INVALID_POLYGON" && details.reason in POLYGON_REASONS) {
    return `${named(details.area)}：${POLYGON_REASONS[details.reason](details)}`;
  }
  if (code === "AREA_TOO_LARGE") {
    return `${named(details.area)}：最远处离店 ${details.reach_m} 米，超出了 ${details.max_m} 米的配送上限。`;
  }
  if (code === "AREAS_TOO_DETAILED") return "区域的边界太细、太多，无法保存：请减少多边形区域，或少取一些点。";
  const first = code === "VALIDATION_ERROR" ? details?.errors?.[0] : null;
  if (first?.loc?.[1] === "areas" && /^\d+$/.test(first.loc[2] ?? "")) {
    return `${named(Number(first.loc[2]))}的设置没有通过检查：${first.msg}`;
  }
  return null;
}

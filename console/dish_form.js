// The merchant console's dishes: the form that adds a dish or edits one (name, price, category, description, its
// options, a new dish's stock, its photo) made into POST /merchants/{merchantId}/products's or PATCH …/products/{productId}'s
// body, or what is wrong with it. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { fenOf } from "./orders.js";
import { quantity } from "./stock.js";

const NAME_MAX = 60; // catalog/merchant_models.py: Name
const DESCRIPTION_MAX = 500;
const PRICE_MAX = 100_000_000; // fen: Price
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]); // what catalog/images.py accepts
const MAX_GROUPS = 10; // catalog/models.py: a product's option groups, a group's options, their names
const MAX_OPTIONS = 20;
const OPTION_NAME_MAX = 30;

/**
 * A dish's options as the form shows them, a group a line: 规格（必选）：小、大+3.00 — 必选 is one of them, nothing
 * (可选) at most one, 选 0-3 from none to three; +3.00 what the option adds to the price, in yuan.
 */
export function optionsText(groups) {
  return (groups || [])
    .map((group) => {
      const rule = group.min === 1 && group.max === 1 ? "（必选）" : group.min === 0 && group.max === 1 ? "" : `（选 ${group.min}-${group.max}）`;
      const options = group.options.map((option) => `${option.name}${option.price_delta ? `+${(option.price_delta / 100).toFixed(2)}` : ""}`);
      return `${group.name}${rule}：${options.join("、")}`;
    })
    .join("\n");
}

/** The options as typed, for the API: ``{ groups }`` or ``{ error }`` naming the line. */
export function optionGroups(text) {
  const lines = (text ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
  if (lines.length > MAX_GROUPS) return { error: `规格最多 ${MAX_GROUPS} 组。` };
  const groups = [];
  for (const [index, line] of lines.entries()) {
    const group = optionGroup(line);
    if (!group) return { error: `第 ${index + 1} 行的规格写法不对：如 规格（必选）：小、大+3，加料（选 0-3）：蛋+2、肠+3。` };
    groups.push(group);
  }
  return { groups };
}

function optionGroup(line) {
  const match = /^([^（(：:]+?)\s*(?:[（(]\s*(必选|可选|选\s*(\d+)\s*[-–~～至到]\s*(\d+))\s*[）)])?\s*[：:]\s*(.+)$/.exec(line);
  if (!match) return null;
  const [, name, rule, least, most, list] = match;
  const [min, max] = rule === "必选" ? [1, 1] : least !== undefined ? [Number(least), Number(most)] : [0, 1];
  const options = [];
  for (const part of list.split(/[、,，;；]/).map((item) => item.trim()).filter(Boolean)) {
    const option = /^(.+?)\s*(?:[+＋]\s*[¥￥]?(\d+(?:\.\d{1,2})?))?$/.exec(part);
    if (!option || option[1].length > OPTION_NAME_MAX || /[+＋]/.test(option[1])) return null; // 大+三元: a price mistyped
    options.push({ name: option[1], price_delta: option[2] ? fenOf(option[2]) : 0 });
  }
  const fits = options.length >= 1 && options.length <= MAX_OPTIONS && max >= 1 && min <= max && max <= options.length;
  return fits && name.trim().length <= OPTION_NAME_MAX ? { name: name.trim(), min, max, options } : null;
}

/** The category select's choices: none, then the shop's own in their order. */
export function categoryChoices(categories) {
  return [{ id: "", name: "不分类" }, ...(categories || [])];
}

// The fields every dish has, as the form holds them: { body } or { error }.
function common(form) {
  const name = (form.name ?? "").trim();
  if (!name) return { error: "请填写菜品名称。" };
  if (name.length > NAME_MAX) return { error: `菜品名称最多 ${NAME_MAX} 个字。` };
  const price = fenOf(form.price);
  if (price === null || price > PRICE_MAX) return { error: "价格须为金额，如 12 或 12.50（元）。" };
  const description = (form.description ?? "").trim();
  if (description.length > DESCRIPTION_MAX) return { error: `描述最多 ${DESCRIPTION_MAX} 个字。` };
  const options = optionGroups(form.options);
  if (options.error) return options;
  return { body: { name, price, category_id: form.category || null, description, options: options.groups } };
}

/** A new dish's body: its stock is what was typed, or no limit when nothing was. */
export function newDishBody(form) {
  const dish = common(form);
  if (dish.error) return dish;
  const typed = (form.stock ?? "").trim();
  const stock = typed === "" ? null : quantity(typed, 0);
  if (typed !== "" && stock === null) return { error: "库存须为 0 到 1000000 的整数，不填为不限。" };
  return { body: { ...dish.body, stock } };
}

/**
 * An edit of ``product`` (as GET …/stock has it): the fields that changed with the version read (compare-and-set),
 * ``{ unchanged: true }`` when nothing did, or ``{ error }``. Stock is counted in the list (盘点), not here.
 */
export function dishEdit(form, product) {
  const dish = common(form);
  if (dish.error) return dish;
  const was = {
    name: product.name,
    price: product.price,
    category_id: product.category_id || null,
    description: product.description || "",
    options: optionGroups(optionsText(product.options)).groups, // as the form would send them
  };
  const same = (field, value) => JSON.stringify(value) === JSON.stringify(was[field]);
  const changed = Object.fromEntries(Object.entries(dish.body).filter(([field, value]) => !same(field, value)));
  if (!Object.keys(changed).length) return { unchanged: true };
  return { body: { version: product.version, ...changed } };
}

/** The form's fields for editing ``product``. */
export function dishFields(product) {
  return {
    name: product.name,
    price: (product.price / 100).toFixed(2),
    category: product.category_id || "",
    description: product.description || "",
    options: optionsText(product.options),
  };
}

/** Whether a chosen photo may be sent: ``{ type }`` (null: none chosen) or ``{ error }``. */
export function photoType(file) {
  if (!file) return { type: null };
  return PHOTO_TYPES.has(file.type) ? { type: file.type } : { error: "图片须为 JPEG、PNG 或 WebP 格式。" };
}

/** What is said when a photo is bigger than the upload allows (``max`` bytes). */
export function photoTooBig(max) {
  return `图片不能超过 ${(max / 1024 / 1024).toFixed(0)} MB。`;
}

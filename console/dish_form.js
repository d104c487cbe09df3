// The merchant console's dishes: the form that adds a dish or edits one (name, price, category, description, a
// new dish's stock, its photo) made into POST /merchants/{merchantId}/products's or PATCH …/products/{productId}'s
// body, or what is wrong with it. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { fenOf } from "./orders.js";
import { quantity } from "./stock.js";

const NAME_MAX = 60; // catalog/merchant_models.py: Name
const DESCRIPTION_MAX = 500;
const PRICE_MAX = 100_000_000; // fen: Price
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]); // what catalog/images.py accepts

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
  return { body: { name, price, category_id: form.category || null, description } };
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
  };
  const changed = Object.fromEntries(Object.entries(dish.body).filter(([field, value]) => value !== was[field]));
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

// The merchant console's menu and stock: what GET /merchants/{merchantId}/stock answers, made ready to show, and
// what the merchant may do with each product. Pure functions (no DOM, no fetch), so that tests/console runs them.
import { yuan } from "./orders.js";

export const STOCK_ACTIONS = { edit: "编辑", takeOff: "下架", putOn: "上架", restock: "补货", count: "盘点" };
const MAX_COUNT = 1_000_000; // the API's bound on a stock count and a restock

/** One product as the stock list shows it. */
export function stockRow(product) {
  const limited = !product.unlimited && product.on_hand !== null;
  let state = "在售";
  if (!product.on_sale) state = "已下架";
  else if (!product.available) state = "售罄";
  return {
    id: product.id,
    name: product.name,
    price: yuan(product.price),
    state,
    onHand: limited ? `${product.on_hand}` : "不限",
    reserved: product.reserved ? `待支付占用 ${product.reserved}` : "",
    low: limited && product.low_stock_threshold !== null && product.on_hand <= product.low_stock_threshold,
    photo: product.images?.[0] || null,
    actions: ["edit", product.on_sale ? "takeOff" : "putOn", ...(limited ? ["restock", "count"] : [])],
  };
}

/** What the merchant typed as a quantity: a whole number from ``least`` up to the API's bound, else null. */
export function quantity(text, least) {
  const value = (text ?? "").trim();
  if (!/^\d+$/.test(value)) return null;
  const number = Number(value);
  return number >= least && number <= MAX_COUNT ? number : null;
}

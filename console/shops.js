// The shops as operators manage them: found by a part of their name and whether the platform has suspended them (GET
// /admin/merchants) with their licences on file, suspended with a reason their owner reads, or reinstated (PATCH
// /admin/merchants/{merchantId}); and what a suspended shop's owner is told (GET /merchants/mine). Pure functions (no
// DOM, no fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { listedDocuments, typedReason } from "./onboarding.js";

// catalog/onboarding_api.py: list_shops's name
const NAME_PART_MAX = 60;
const LISTED_AT_MOST = "50";

/** Which shops the list shows, by whether the platform has suspended them. */
export const STANDINGS = { all: "全部", active: "正常", suspended: "已暂停" };
const SUSPENDED_QUERY = { active: "false", suspended: "true" }; // all: the API's suspended left out

/** What an operator may do with a shop: suspend it, or reinstate it once suspended. */
export const SHOP_ACTIONS = { suspend: "暂停营业资格", reinstate: "恢复" };

/** The list's path (GET /admin/merchants with its query) for the search fields: ``{ path }`` or ``{ error }``. */
export function shopsPath(search) {
  const name = (search.name ?? "").trim();
  if ([...name].length > NAME_PART_MAX) return { error: `店名最多 ${NAME_PART_MAX} 个字。` };
  const suspended = SUSPENDED_QUERY[search.standing];
  const query = new URLSearchParams({
    ...(name ? { name } : {}),
    ...(suspended ? { suspended } : {}),
    limit: LISTED_AT_MOST,
  });
  return { path: `/admin/merchants?${query}` };
}

/**
 * One shop (a ShopView) as operators see it: the shop, where it is, who owns it, and whether it takes orders: 营业中,
 * 休息中 (its hours), 店主暂停接单 (its owner's switch), or suspended by the platform, why, since when and by whom; and
 * its licences, as an application's documents are listed (their links short-lived: made again at each reading).
 */
export function shopRow(shop) {
  const lines = [shop.address, `店铺 ${shop.id} · 店主 ${shop.owner_id} · ${chinaTime(shop.created_at)} 开通`];
  if (shop.suspended) {
    const paused = shop.paused ? " · 店主也已暂停接单" : ""; // still so once reinstated
    lines.push(`${chinaTime(shop.suspended_at)} 由 ${shop.suspended_by} 暂停${paused}`);
  }
  return {
    id: shop.id,
    head: `${shop.name} ${shop.phone}`,
    status: standingLabel(shop),
    lines,
    documents: listedDocuments(shop.licences),
    actions: [shop.suspended ? "reinstate" : "suspend"],
  };
}

function standingLabel(shop) {
  if (shop.suspended) return `已被平台暂停：${shop.suspension_reason}`;
  if (shop.paused) return "店主暂停接单";
  return shop.open ? "营业中" : "休息中";
}

/** Suspending a shop, the reason as typed (its owner reads it): ``{ body }`` or ``{ error }``. */
export function suspendBody(typed) {
  const checked = typedReason(typed, "暂停原因", "店主");
  return checked.error ? checked : { body: { suspended: true, reason: checked.reason } };
}

/** What the owner of a shop the platform has suspended is told above everything (null: it is not suspended). */
export function suspensionNotice(shop) {
  if (!shop?.suspended) return null;
  const reason = (shop.suspension_reason ?? "").replace(/[。.！!]+$/u, ""); // the notice ends the sentence
  return `店铺已被平台暂停营业：${reason}。暂停期间不能接新订单，请联系平台。`;
}

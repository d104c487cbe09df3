// The shops as operators manage them: found by a part of their name, whether the platform has suspended them and
// whether their owner's licence renewal waits for review (GET /admin/merchants) with their licences on file, suspended
// with a reason their owner reads, or reinstated (PATCH /admin/merchants/{merchantId}), their licence renewal approved
// with the dates read off its images or declined with a reason (POST …/licences/renewal/decision); and what a
// suspended shop's owner is told (GET /merchants/mine). Pure functions (no DOM, no fetch), so that tests/console runs
// them under node.
import { chinaTime } from "./alerts.js";
import { VALIDITY_LABELS, approvalBody, expired, heldDocuments, listedDocuments, typedReason } from "./onboarding.js";

// catalog/onboarding_api.py: list_shops's name
const NAME_PART_MAX = 60;
const LISTED_AT_MOST = "50";

/** Which shops the list shows, by whether the platform has suspended them. */
export const STANDINGS = { all: "全部", active: "正常", suspended: "已暂停" };
const SUSPENDED_QUERY = { active: "false", suspended: "true" }; // all: the API's suspended left out

/**
 * What an operator may do with a shop: approve or decline its owner's licence renewal while one waits, and suspend
 * it, or reinstate it once suspended.
 */
export const SHOP_ACTIONS = { approveRenewal: "通过", declineRenewal: "驳回", suspend: "暂停营业资格", reinstate: "恢复" };

/**
 * The list's path (GET /admin/merchants with its query) for the search fields (``renewal``: only the shops whose
 * licence renewal waits for review, 证照待审核): ``{ path }`` or ``{ error }``.
 */
export function shopsPath(search) {
  const name = (search.name ?? "").trim();
  if ([...name].length > NAME_PART_MAX) return { error: `店名最多 ${NAME_PART_MAX} 个字。` };
  const suspended = SUSPENDED_QUERY[search.standing];
  const query = new URLSearchParams({
    ...(name ? { name } : {}),
    ...(suspended ? { suspended } : {}),
    ...(search.renewal ? { renewal_pending: "true" } : {}),
    limit: LISTED_AT_MOST,
  });
  return { path: `/admin/merchants?${query}` };
}

/**
 * One shop (a ShopView) as operators see it: the shop, where it is, who owns it, and whether it takes orders: 营业中,
 * 休息中 (its hours), 店主暂停接单 (its owner's switch), 许可证已过期 (its food permit on file is past its date, China
 * time of ``now``), or suspended by the platform, why, since when and by whom; its licences, as an application's
 * documents are listed (their links short-lived: made again at each reading); and its owner's licence renewal while
 * it waits for review (``renewal``: what it says, what it sends, the kinds whose dates are typed to approve it).
 */
export function shopRow(shop, now) {
  const lines = [shop.address, `店铺 ${shop.id} · 店主 ${shop.owner_id} · ${chinaTime(shop.created_at)} 开通`];
  if (shop.suspended) {
    const paused = shop.paused ? " · 店主也已暂停接单" : ""; // still so once reinstated
    lines.push(`${chinaTime(shop.suspended_at)} 由 ${shop.suspended_by} 暂停${paused}`);
  }
  const renewal = pendingRenewal(shop);
  return {
    id: shop.id,
    head: `${shop.name} ${shop.phone}`,
    status: standingLabel(shop, now),
    lines,
    documents: listedDocuments(shop.licences, now),
    renewal: renewal && {
      text: `证照更新待审核：${chinaTime(renewal.submitted_at)} 提交`,
      documents: heldDocuments(renewal.documents, now),
      dates: renewalKinds(renewal),
    },
    actions: [...(renewal ? ["approveRenewal", "declineRenewal"] : []), shop.suspended ? "reinstate" : "suspend"],
  };
}

function standingLabel(shop, now) {
  const lapsed = permitLapsed(shop, now);
  if (shop.suspended) return `已被平台暂停：${shop.suspension_reason}${lapsed ? " · 许可证已过期" : ""}`;
  if (lapsed) return "许可证已过期"; // it takes no orders until a renewed permit is on file
  if (shop.paused) return "店主暂停接单";
  return shop.open ? "营业中" : "休息中";
}

// Its food permit on file is past its date: the API takes no orders for it.
function permitLapsed(shop, now) {
  const permit = (shop.licences ?? []).find((licence) => licence.kind === "food_permit");
  return expired(permit?.valid_until, now);
}

// The shop's licence renewal while it waits for review (null: none waits).
function pendingRenewal(shop) {
  return shop.licence_renewal?.status === "PENDING" ? shop.licence_renewal : null;
}

// The kinds a renewal sends whose dates are typed to approve it, in the order their fields are shown.
function renewalKinds(renewal) {
  const sent = new Set(renewal.documents.map((held) => held.kind));
  return Object.keys(VALIDITY_LABELS).filter((kind) => sent.has(kind));
}

/**
 * Approving a shop's licence renewal (its ``licence_renewal``) with the dates typed off its images (kind → YYYY-MM-DD,
 * "" when none is typed): ``{ body }`` or ``{ error }``, as an application's approval (onboarding.js approvalBody), the
 * food permit's date needed only when the renewal sends one.
 */
export function renewalApprovalBody(renewal, dates, now) {
  return approvalBody(dates, now, renewalKinds(renewal));
}

/** Declining a shop's licence renewal, the reason as typed (its owner reads it): ``{ body }`` or ``{ error }``. */
export function renewalDeclineBody(typed) {
  const checked = typedReason(typed, "驳回原因", "店主");
  return checked.error ? checked : { body: { approve: false, reason: checked.reason } };
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

// Opening shops (入驻): a user's application (POST /merchants/applications, GET /merchants/applications/mine) as its
// applicant follows it, with its documents (证照: the shop's business licence and food permit, images uploaded first,
// POST /merchants/applications/documents), applications as operators decide them (GET /admin/merchant-applications,
// POST …/decision, approving with the dates the documents are valid until, read off their images), the shop forms'
// fields made into the API's bodies (or what is wrong with them; a shop registered by hand is POST /admin/merchants),
// and the API's refusals in Chinese. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { LNG_LAT, lngLatProblem } from "./delivery_settings.js";
import { chinaDay } from "./orders.js";
import { e164 } from "./phone_order.js";

// catalog/onboarding_api.py: Shop, MerchantApplication, NewMerchant, Decision
const NAME_MAX = 60;
const ADDRESS_MAX = 120;
const NOTE_MAX = 500;
const REASON_MAX = 200;
const PREP_MAX = 180;
const POINT_EXAMPLE = "121.4737,31.2304";

const STATUS_LABELS = { PENDING: "待审核", APPROVED: "已通过", DECLINED: "未通过" };

/** The documents (证照) an application carries, in the order they are shown and named; approving needs both. */
export const DOCUMENT_KINDS = { business_licence: "营业执照", food_permit: "食品经营许可证" };
// catalog/documents.py: what a document's image may be (the upload's grant says its size again, max_bytes)
const DOCUMENT_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);
const DOCUMENT_MAX_BYTES = 8 * 1024 * 1024;

/** What an operator may do with an application: only a pending one is decided. */
export const APPLICATION_ACTIONS = { approve: "通过", decline: "拒绝" };

/**
 * The dates an operator types when approving documents (an application's, a shop's licence renewal's), read off their
 * images, by kind, in the order they are shown: the food permit's is needed, the business licence's left empty is 长期.
 */
export const VALIDITY_LABELS = { food_permit: "食品经营许可证有效期至", business_licence: "营业执照有效期至（长期不填）" };
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One application as operators see it: the shop, where it is, what it sells, who applied, and how it was decided;
 * a pending one with the kinds whose dates are typed to approve it (``dates``). ``now`` (a Date): what is past its
 * date is said to be.
 */
export function applicationRow(application, now) {
  const { lat, lng } = application.location;
  const label = STATUS_LABELS[application.status] || application.status;
  const decided = application.decided_at ? ` · ${chinaTime(application.decided_at)} 审核` : "";
  const shop = application.merchant_id ? ` · 店铺 ${application.merchant_id}` : "";
  return {
    id: application.applicant_id,
    head: `${application.name} ${application.phone}`,
    status: application.reason ? `${label}：${application.reason}` : label,
    lines: [
      `${application.address} · 坐标 ${lng},${lat}`,
      ...(application.note ? [`说明：${application.note}`] : []),
      `申请人 ${application.applicant_phone} · ${chinaTime(application.created_at)} 申请${decided}${shop}`,
    ],
    documents: listedDocuments(application.documents, now, application.status === "APPROVED"),
    dates: application.status === "PENDING" ? Object.keys(VALIDITY_LABELS) : [],
    actions: application.status === "PENDING" ? Object.keys(APPLICATION_ACTIONS) : [],
  };
}

/** The documents of the applicant's own application (null: none yet) as the form lists them (ownDocuments). */
export function myDocuments(application, now) {
  return ownDocuments(application?.documents, now, application?.status === "APPROVED");
}

/**
 * Documents as their owner sees them (an application's, the shop's licences on file), each kind as
 * ``{ kind, url, text }``: a link to its image named by its kind and how long it is valid, or (url null) saying it is
 * not uploaded yet. ``now`` (a Date) says what is past its date; ``onFile``: the documents are on file (a running
 * shop's, an approved application's), where a business licence without a date is 长期.
 */
export function ownDocuments(documents, now, onFile = true) {
  return documentEntries(documents, now, onFile, (label) => `${label}：未上传`);
}

/** Documents as operators' rows list them (an application's, a shop's licences): the same, 未上传… said first. */
export function listedDocuments(documents, now, onFile = true) {
  return documentEntries(documents, now, onFile, (label) => `未上传${label}`);
}

/** Only the documents there are (a shop's licence renewal's: a kind it leaves out stays as it is on file), the same. */
export function heldDocuments(documents, now, onFile = false) {
  return documentEntries(documents, now, onFile, () => null);
}

// Each kind, in DOCUMENT_KINDS's order, as the documents have it, or ``missing(label)`` said of it (null: left out).
// The links are short-lived: the entries are made again from each reading of the application or the shop.
function documentEntries(documents, now, onFile, missing) {
  const byKind = new Map((documents ?? []).map((held) => [held.kind, held]));
  return Object.entries(DOCUMENT_KINDS).flatMap(([kind, label]) => {
    const held = byKind.get(kind);
    if (held?.url) return [{ kind, url: held.url, text: `${label}${validity(kind, held.valid_until, now, onFile)}` }];
    const text = missing(label);
    return text === null ? [] : [{ kind, url: null, text }];
  });
}

// How long a document is valid, after its kind's name: until its date (past it: 已过期, China time), 长期 for a
// business licence on file without one (a food permit without one has none recorded: nothing is said).
function validity(kind, validUntil, now, onFile) {
  if (validUntil) return `（有效期至 ${validUntil}）${expired(validUntil, now) ? "（已过期）" : ""}`;
  return kind === "business_licence" && onFile ? "（长期）" : "";
}

/** Whether a document's date (``valid_until``: YYYY-MM-DD, or null) is past on the China day of ``now``. */
export function expired(validUntil, now) {
  return Boolean(validUntil) && validUntil < chinaDay(now);
}

/**
 * Approving documents (an application's, a shop's licence renewal's) with the dates typed off their images (kind →
 * YYYY-MM-DD as a date input gives it, "" or nothing when none is typed), for the ``kinds`` approved (an application:
 * both): ``{ body }`` (POST …/decision's) or ``{ error }``, checked before anything is sent. The food permit's date is
 * needed; the business licence's, left empty, is 长期 (null); a date before today (China time, of ``now``) is refused.
 */
export function approvalBody(dates, now, kinds = Object.keys(DOCUMENT_KINDS)) {
  const body = { approve: true };
  for (const kind of Object.keys(VALIDITY_LABELS).filter((named) => kinds.includes(named))) {
    const typed = (dates?.[kind] ?? "").trim();
    if (!typed && kind === "food_permit") return { error: "请填写食品经营许可证的有效期。" };
    if (typed && !isDay(typed)) return { error: `${kindLabel(kind)}的有效期须为日期，如 2031-05-01。` };
    if (expired(typed, now)) return { error: "有效期已过，不能通过。" };
    body[`${kind}_valid_until`] = typed || null;
  }
  return { body };
}

// A day as YYYY-MM-DD that the calendar has (not 2031-02-30).
function isDay(text) {
  if (!DAY.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text);
}

/**
 * The documents chosen in the form (kind → File, or nothing when none is chosen), checked before anything is sent:
 * ``{ chosen }`` (``[kind, file]`` pairs, in DOCUMENT_KINDS's order; none chosen: empty), or ``{ error }`` naming the
 * document that may not go.
 */
export function chosenDocuments(files) {
  const chosen = Object.keys(DOCUMENT_KINDS)
    .filter((kind) => files[kind])
    .map((kind) => [kind, files[kind]]);
  for (const [kind, file] of chosen) {
    if (!DOCUMENT_TYPES.has(file.type)) return { error: `${DOCUMENT_KINDS[kind]}须为 JPEG、PNG 或 WebP 图片。` };
    if (file.size > DOCUMENT_MAX_BYTES) return { error: documentTooBig(kind, DOCUMENT_MAX_BYTES) };
  }
  return { chosen };
}

/** What is said when a document of ``kind`` is bigger than the upload allows (``max`` bytes). */
export function documentTooBig(kind, max) {
  return `${kindLabel(kind)}图片不能超过 ${(max / 1024 / 1024).toFixed(0)} MB。`;
}

// A kind as the user knows it; one this console does not know (a newer API's) is just 证照.
function kindLabel(kind) {
  return Object.hasOwn(DOCUMENT_KINDS, kind) ? DOCUMENT_KINDS[kind] : "证照";
}

/** Declining an application, the reason as typed (the applicant reads it): ``{ body }`` or ``{ error }``. */
export function declineBody(typed) {
  const checked = typedReason(typed, "拒绝原因", "申请人");
  return checked.error ? checked : { body: { approve: false, reason: checked.reason } };
}

/** A reason an operator types for ``reader`` to read (``what``: its name): ``{ reason }``, or ``{ error }``. */
export function typedReason(typed, what, reader) {
  const reason = (typed ?? "").trim();
  if (!reason) return { error: `请填写${what}：${reader}会看到。` };
  if ([...reason].length > REASON_MAX) return { error: `${what}最多 ${REASON_MAX} 个字。` };
  return { reason };
}

/**
 * The applicant's own application (null: none yet) as the 申请开店 section says it, and what it offers: the form (to
 * apply, to change a pending application, or to apply again after a decline) with its button's words, or signing in
 * again once approved (the merchant role comes with the next token).
 */
export function myApplication(application) {
  if (application?.status === "APPROVED") {
    return { status: "已通过：请重新登录以管理店铺。", form: false, submit: "", signInAgain: true };
  }
  if (application?.status === "DECLINED") {
    return { status: `未通过：${application.reason}。可修改后重新申请。`, form: true, submit: "重新申请", signInAgain: false };
  }
  if (application?.status === "PENDING") {
    const sent = chinaTime(application.updated_at);
    return { status: `审核中：${sent} 提交，审核前可修改。`, form: true, submit: "修改申请", signInAgain: false };
  }
  return { status: "填写店铺信息申请开店，平台审核通过后即可在这里管理店铺。", form: true, submit: "提交申请", signInAgain: false };
}

/** The application form's fields for ``application`` (null: empty), the coordinate as it is typed: 经度,纬度. */
export function applicationFields(application) {
  return {
    name: application?.name ?? "",
    phone: application?.phone ?? "",
    address: application?.address ?? "",
    location: application ? `${application.location.lng},${application.location.lat}` : "",
    note: application?.note ?? "",
  };
}

/**
 * A coordinate typed as AMap's 坐标拾取器 copies it, ``经度,纬度`` (GCJ-02): ``{ location }`` ({lat, lng}) or
 * ``{ error }``. A latitude typed first (within ±90, then a number beyond it) is said as such.
 */
export function shopLocation(text) {
  const match = LNG_LAT.exec((text ?? "").trim());
  if (!match) return { error: `坐标须为 经度,纬度（如 ${POINT_EXAMPLE}）：在高德坐标拾取器点选店铺后复制。` };
  const [lng, lat] = [Number(match[1]), Number(match[2])];
  const problem = lngLatProblem([lng, lat]);
  if (problem === "swapped") return { error: `坐标像是先写了纬度：请按 经度,纬度 的顺序，如 ${POINT_EXAMPLE}。` };
  if (problem) return { error: "坐标超出经纬度范围：经度 ±180 以内，纬度 ±90 以内。" };
  return { location: { lat, lng } };
}

/**
 * An application (POST /merchants/applications's body) from its form's fields, or the first thing to put right.
 * ``documents`` (kind → document id) are the documents just uploaded: a kind left out keeps what the application has,
 * so with none the body has no ``documents`` at all.
 */
export function applicationBody(fields, documents = {}) {
  const shop = shopBody(fields);
  if (shop.error) return shop;
  const note = (fields.note ?? "").trim();
  if ([...note].length > NOTE_MAX) return { error: `说明最多 ${NOTE_MAX} 个字。` };
  const uploaded = Object.keys(documents).length ? { documents } : {};
  return { body: { ...shop.body, ...(note ? { note } : {}), ...uploaded } };
}

/**
 * A shop registered by hand (POST /admin/merchants's body) from its form's fields: ``owner`` (who will run it), the
 * shop's, and ``prep`` (minutes; blank for the API's default). ``{ body }`` or the first thing to put right.
 */
export function newShopBody(fields) {
  const owner = e164(fields.owner);
  if (!owner) return { error: "店主手机号不对：11 位，或带国家码（+86…）。" };
  const shop = shopBody(fields);
  if (shop.error) return shop;
  const prep = (fields.prep ?? "").trim();
  if (prep && !(/^\d{1,3}$/.test(prep) && Number(prep) >= 1 && Number(prep) <= PREP_MAX)) {
    return { error: `备餐时间须为 1 到 ${PREP_MAX} 分钟。` };
  }
  return { body: { owner_phone: owner, ...shop.body, ...(prep ? { prep_minutes: Number(prep) } : {}) } };
}

// The shop as customers will see it: what both forms have.
function shopBody(fields) {
  const name = (fields.name ?? "").trim();
  if (!name) return { error: "请填写店名。" };
  if ([...name].length > NAME_MAX) return { error: `店名最多 ${NAME_MAX} 个字。` };
  const phone = e164(fields.phone);
  if (!phone) return { error: "门店电话不对：手机号 11 位，或带国家码（+86…）。" };
  const address = (fields.address ?? "").trim();
  if (!address) return { error: "请填写店铺地址。" };
  if ([...address].length > ADDRESS_MAX) return { error: `地址最多 ${ADDRESS_MAX} 个字。` };
  const where = shopLocation(fields.location);
  if (where.error) return where;
  return { body: { name, phone, address, location: where.location } };
}

// The API's refusals about opening a shop that the user can put right, in their words
const PROBLEMS = {
  PHONE_REQUIRED: "请先在小程序绑定手机号，再申请开店：平台审核时会打电话联系。",
  ALREADY_DECIDED: "这份申请已经审核过了：请刷新查看结果。",
  APPLICATION_CHANGED: "申请刚被修改，请刷新后再处理。",
  IDEMPOTENCY_KEY_REUSED: "这次登记与先前同一请求登记的店铺不一致：请刷新页面后重新登记。",
};

// A document the API refused when the application was sent (its details name the kind): choosing it again, or
// another image, puts it right.
const DOCUMENT_PROBLEMS = {
  DOCUMENT_NOT_UPLOADED: (kind) => `${kindLabel(kind)}没有上传成功：请重新选择图片后再提交。`,
  DOCUMENT_TOO_LARGE: (kind) => documentTooBig(kind, DOCUMENT_MAX_BYTES),
  INVALID_DOCUMENT: (kind) => `${kindLabel(kind)}不是可用的图片：请重新选择 JPEG、PNG 或 WebP 图片。`,
};

/** The API's refusal about opening a shop (catalog/onboarding.py) in Chinese; null for others. */
export function onboardingProblem(code, details) {
  if (code === "ALREADY_A_MERCHANT") return `店铺已开通（${details?.merchant_id}）：请重新登录以管理店铺。`;
  if (code === "DOCUMENTS_MISSING") {
    // named in DOCUMENT_KINDS's order, whatever order the API lists them in
    const missing = Object.keys(DOCUMENT_KINDS).filter((kind) => details?.missing?.includes(kind));
    return missing.length ? `缺少证照：${missing.map(kindLabel).join("、")}，不能通过。` : "缺少证照，不能通过。";
  }
  if (Object.hasOwn(DOCUMENT_PROBLEMS, code)) return DOCUMENT_PROBLEMS[code](details?.kind);
  if (code === "VALID_UNTIL_REQUIRED") return `请填写${kindLabel(details?.kind)}的有效期。`;
  if (code === "LICENCE_EXPIRED") {
    const until = details?.valid_until ? `（有效期至 ${details.valid_until}）` : "";
    return `${kindLabel(details?.kind)}已过期${until}，不能通过。`;
  }
  return Object.hasOwn(PROBLEMS, code) ? PROBLEMS[code] : null;
}

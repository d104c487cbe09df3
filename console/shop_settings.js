// The merchant console's shop settings: opening hours day by day (or around the clock), days off, the kitchen's
// prep time, taking orders without a click, what an order left unanswered becomes, what proves a delivery, the
// shop's phone; the merchant as GET /merchants/{merchantId} has it
// made into the form's fields, and the form into PATCH /merchants/{merchantId}'s body (only what changed), or what
// is wrong with it. Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { e164 } from "./phone_order.js";

/** The weekdays as the API names them (catalog/hours.py), with their names in the form. */
export const WEEKDAYS = [
  ["mon", "周一"],
  ["tue", "周二"],
  ["wed", "周三"],
  ["thu", "周四"],
  ["fri", "周五"],
  ["sat", "周六"],
  ["sun", "周日"],
];
const DAY_NAMES = Object.fromEntries(WEEKDAYS);

/** What proves the shop's deliveries (orders/proof.py), as the form offers it. */
export const PROOF_CHOICES = { code: "顾客收货码", photo: "骑手拍照", code_or_photo: "收货码或拍照", none: "无需凭证" };
/** What a paid order the shop leaves unanswered past the confirm timeout becomes (the watchdog). */
export const UNANSWERED_CHOICES = { cancel: "自动取消并全额退款", confirm: "自动接单" };
const MAX_RANGES = 6; // a day's ranges (merchant_models.DayHours)
const MAX_HOLIDAYS = 366;

/** A day's ranges as the form shows them: 10:00-14:00, 17:00-21:00 (nothing: closed). */
export function rangesText(ranges) {
  return (ranges || []).map(([start, end]) => `${start}-${end}`).join(", ");
}

/** A day's ranges as typed (10:00-14:00，17:00~21:00; 9:30 for 09:30) for the API; null if not ranges. */
export function dayRanges(text) {
  const parts = (text ?? "").split(/[,，;；、\s]+/).filter(Boolean);
  const ranges = [];
  for (const part of parts) {
    const match = /^(\d{1,2}):(\d{2})[-–~～至到](\d{1,2}):(\d{2})$/.exec(part);
    if (!match) return null;
    const [start, end] = [clock(match[1], match[2]), clock(match[3], match[4])];
    if (!start || !end || start === "24:00") return null;
    ranges.push([start, end]);
  }
  return ranges.length <= MAX_RANGES ? ranges : null;
}

function clock(hours, minutes) {
  const value = Number(hours) * 60 + Number(minutes);
  if (Number(minutes) > 59 || value > 24 * 60) return null;
  return `${hours.padStart(2, "0")}:${minutes}`;
}

/** The form's fields for ``merchant``. */
export function settingsFields(merchant) {
  return {
    always: merchant.hours === null,
    days: Object.fromEntries(WEEKDAYS.map(([day]) => [day, rangesText(merchant.hours?.[day])])),
    holidays: merchant.holidays.join(", "),
    prep: `${merchant.prep_minutes}`,
    autoConfirm: merchant.auto_confirm,
    unanswered: merchant.on_confirm_timeout,
    proof: merchant.proof_of_delivery,
    phone: merchant.phone,
  };
}

/**
 * What the form changes of ``merchant``: ``{ body }`` (the changed fields only), ``{ unchanged: true }``, or the
 * first thing to put right, ``{ error }``. Hours are sent whole when any day changed (the API replaces them).
 */
export function settingsChanges(fields, merchant) {
  let hours = null;
  if (!fields.always) {
    hours = {};
    for (const [day, name] of WEEKDAYS) {
      const ranges = dayRanges(fields.days[day]);
      if (ranges === null) return { error: `${name}的营业时间写法不对：如 10:00-14:00, 17:00-21:00，不营业请留空（每天最多 ${MAX_RANGES} 段）。` };
      if (ranges.length) hours[day] = ranges;
    }
  }
  const holidays = (fields.holidays ?? "").split(/[,，;；、\s]+/).filter(Boolean);
  if (holidays.some((day) => !isDay(day)) || holidays.length > MAX_HOLIDAYS) {
    return { error: "休息日写法不对：如 2026-12-25, 2027-01-01。" };
  }
  const prep = (fields.prep ?? "").trim();
  if (!/^\d+$/.test(prep) || Number(prep) < 1 || Number(prep) > 180) return { error: "备餐时间须为 1 到 180 分钟。" };
  const phone = e164(fields.phone);
  if (!phone) return { error: "门店电话不对：手机号 11 位，或带国家码（+86…）。" };
  if (!(fields.unanswered in UNANSWERED_CHOICES) || !(fields.proof in PROOF_CHOICES)) return { error: "请在列表中选择。" };
  const wanted = {
    hours,
    holidays: [...new Set(holidays)].sort(),
    prep_minutes: Number(prep),
    auto_confirm: fields.autoConfirm,
    on_confirm_timeout: fields.unanswered,
    proof_of_delivery: fields.proof,
    phone,
  };
  const changed = ([field, value]) => JSON.stringify(value) !== JSON.stringify(normalised(field, merchant[field]));
  const body = Object.fromEntries(Object.entries(wanted).filter(changed));
  return Object.keys(body).length ? { body } : { unchanged: true };
}

// The merchant's hours as the form would send them (days without ranges left out), so that equal ones compare equal.
function normalised(field, value) {
  if (field !== "hours" || value === null) return value;
  return Object.fromEntries(WEEKDAYS.filter(([day]) => value[day]?.length).map(([day]) => [day, value[day]]));
}

function isDay(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text);
}

/** The API's refusal of hours that overlap (catalog/hours.check_week), said in the merchant's words. */
export function hoursProblem(details) {
  const message = details?.errors?.map((error) => error.msg).find((msg) => /\b(mon|tue|wed|thu|fri|sat|sun):/.test(msg));
  if (!message) return null;
  const name = DAY_NAMES[/\b(mon|tue|wed|thu|fri|sat|sun):/.exec(message)[1]];
  if (message.includes("next day")) return `${name}的跨夜时段与次日的营业时间重叠。`;
  return `${name}的时段须按先后填写，且不能重叠。`;
}

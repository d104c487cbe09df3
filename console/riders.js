// The operators' riders: applications to approve or decline, riders to suspend or let work again or give another
// capacity (GET/PATCH /admin/riders), a rider registered by hand (POST /admin/riders), and the cash a rider hands in
// (POST /admin/riders/{riderId}/cash-handins), as the console shows them.
// Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { fenOf, yuan } from "./orders.js";
import { e164 } from "./phone_order.js";

export const VEHICLES = { ebike: "电动车", bike: "自行车", scooter: "摩托车", car: "汽车", walk: "步行" };
const STATUS_LABELS = { PENDING: "待审核", APPROVED: "可接单", SUSPENDED: "已停用" };
const STATE_LABELS = { online: "在线", break: "休息中", offline: "离线" };
const NAME_MAX = 50; // riders/models.py: RiderName

/** What an operator may do with a rider, by where the rider is in onboarding (riders/onboarding.py). */
export const RIDER_ACTIONS = {
  approve: "通过",
  decline: "拒绝",
  suspend: "停用",
  reinstate: "恢复",
  capacity: "改容量",
  cash: "收现金",
};
const ACTIONS_BY_STATUS = { PENDING: ["approve", "decline"], APPROVED: ["suspend", "capacity"], SUSPENDED: ["reinstate"] };

/** The status each action moves a rider to (PATCH /admin/riders/{riderId}). */
export const ACTION_STATUS = { approve: "APPROVED", decline: "SUSPENDED", suspend: "SUSPENDED", reinstate: "APPROVED" };

/** One rider as the list shows them. */
export function riderRow(rider) {
  const working = rider.status === "APPROVED";
  const detail = [
    VEHICLES[rider.vehicle] || rider.vehicle,
    `容量 ${rider.capacity}`,
    working ? STATE_LABELS[rider.state] || rider.state : "",
    working && rider.active_orders ? `配送中 ${rider.active_orders} 单` : "",
    rider.zone ? `服务半径 ${(rider.zone.radius_m / 1000).toFixed(1)} 公里` : "",
    rider.cash_held ? `持有现金 ${yuan(rider.cash_held)}` : "", // taken at doors, not handed in yet
  ];
  return {
    id: rider.id,
    head: `${rider.name} ${rider.phone}`,
    status: STATUS_LABELS[rider.status] || rider.status,
    lines: [detail.filter(Boolean).join(" · ")],
    // whatever the rider's status: a suspended rider still hands in what they took
    actions: [...(ACTIONS_BY_STATUS[rider.status] || []), ...(rider.cash_held ? ["cash"] : [])],
  };
}

/** A capacity typed by an operator: a whole number of orders, at least 1; null if it is not one. The API says the
most a rider may carry (``rider_max_capacity``). */
export function capacityOf(text) {
  const typed = (text ?? "").trim();
  return /^\d{1,3}$/.test(typed) && Number(typed) >= 1 ? Number(typed) : null;
}

/** A rider registered by hand: POST /admin/riders's body, or the first thing to put right. */
export function newRiderBody(form) {
  const name = (form.name ?? "").trim();
  if (!name) return { error: "请填写骑手姓名。" };
  if (name.length > NAME_MAX) return { error: `姓名最多 ${NAME_MAX} 个字。` };
  const phone = e164(form.phone);
  if (!phone) return { error: "手机号不对：11 位，或带国家码（+86…）。" };
  if (!(form.vehicle in VEHICLES)) return { error: "请选择交通工具。" };
  return { body: { name, phone, vehicle: form.vehicle } };
}

const NOTE_MAX = 200; // settlement/models.py HandInRequest

/** Cash a rider hands in, as an operator typed it (yuan, exactly: 47.5 is 4750 fen, never 4749.99…): the body of
POST /admin/riders/{riderId}/cash-handins, or what to put right. Whether it is at most what they hold, the API says
(the list may be older than the rider's balance). */
export function handInBody(amountText, noteText) {
  const amount = fenOf(amountText);
  if (!amount) return { error: "金额须以元为单位，最多两位小数，如 47.50。" };
  const note = (noteText ?? "").trim();
  if (note.length > NOTE_MAX) return { error: `备注最多 ${NOTE_MAX} 个字。` };
  return { body: note ? { amount, note } : { amount } };
}

/** The API's refusal of a hand-in in the operator's words; undefined: its own message will do. */
export function cashProblem(code, details) {
  if (code === "CASH_EXCEEDS_HELD") return `交回金额超过骑手持有的现金：现在持有 ${yuan(details.held)}。`;
  return undefined;
}

// The console's figures: what GET /merchants/{merchantId}/analytics (a merchant's) and GET /admin/analytics (the
// platform's, for operators) answer, made ready to show; the day's riders and the open incidents, for operators.
// Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";
import { chinaDay, orderRef, yuan } from "./orders.js";

export const WEEK_DAYS = 7;

const NONE = "—"; // a rate or mean with nothing to divide by: no data is not 0

const minutes = (value) => (value === null ? NONE : `${value} 分钟`);
const percent = (value) => (value === null ? NONE : `${Math.round(value * 1000) / 10}%`);

/** The report's range for the last ``WEEK_DAYS`` China days, today included. */
export function weekQuery(now) {
  return new URLSearchParams({ from: chinaDay(now, WEEK_DAYS - 1), to: chinaDay(now) });
}

/** The report's range for today, hour by hour. */
export function todayByHourQuery(now) {
  return new URLSearchParams({ from: chinaDay(now), to: chinaDay(now), by: "hour" });
}

/**
 * Today's orders hour by hour as bars: each hour's orders and its bar's height, a percentage of the busiest hour's
 * (an hour without orders is 0), and the hour's label where the axis shows one (every sixth hour).
 */
export function hourBars(report) {
  const busiest = Math.max(1, ...report.periods.map((period) => period.orders));
  return report.periods.map((period) => {
    const hour = Number(period.period.slice(11, 13));
    const height = Math.round((period.orders / busiest) * 100);
    return { hour, orders: period.orders, height, label: hour % 6 === 0 ? `${hour}时` : "" };
  });
}

/** One report's metrics (its totals, or a period's) as [label, value] pairs, in the order the page shows them. */
export function figures(metrics) {
  const cancelled = metrics.cancel_rate === null ? `${metrics.cancelled}` : `${metrics.cancelled} (${percent(metrics.cancel_rate)})`;
  return [
    ["订单", `${metrics.orders}`],
    ["营业额", yuan(metrics.gmv)],
    ["客单价", metrics.average_order_value === null ? NONE : yuan(metrics.average_order_value)],
    ["平均接单", minutes(metrics.confirm_minutes_mean)],
    ["平均等骑手", minutes(metrics.assign_minutes_mean)],
    ["平均送达", minutes(metrics.click_to_door_minutes_mean)],
    ["九成送达", minutes(metrics.click_to_door_minutes_p90)],
    ["准时率", percent(metrics.on_time_rate)],
    ["配送失败", `${metrics.failed}`],
    ["取消", cancelled],
  ];
}

/** The week's table: its header, and a row per day, today first (the report's periods are oldest first). */
export function weekTable(report) {
  const header = ["日期", ...figures(report.totals).map(([label]) => label)];
  const rows = report.periods
    .slice()
    .reverse()
    .map((period) => [period.period.slice(5), ...figures(period).map(([, value]) => value)]);
  return { header, rows };
}

export const TOP_DISHES = 10;

/** The week's best-selling dishes (a merchant's report), named from the shop's menu; a dish since deleted shows its id. */
export function dishTable(report, products) {
  const names = Object.fromEntries(products.map((product) => [product.id, product.name]));
  const rows = report.dishes.slice(0, TOP_DISHES).map((dish) => [names[dish.product_id] || dish.product_id, `${dish.quantity}`]);
  return { header: ["菜品", "送达份数"], rows };
}

/** The day's riders (GET /admin/riders/leaderboard), most deliveries first: the header and a row per rider. */
export function riderTable(leaderboard) {
  const header = ["名次", "骑手", "送达", "准时率", "完成率", "接单率", "收入"];
  const rows = leaderboard.riders.map(({ rank, rider_id: riderId, name, kpis }) => [
    `${rank}`,
    name || riderId,
    `${kpis.delivered}`,
    percent(kpis.on_time_rate),
    percent(kpis.completion_rate),
    percent(kpis.acceptance_rate),
    yuan(kpis.earnings),
  ]);
  return { header, rows };
}

export const INCIDENT_KINDS = {
  complaint: "顾客投诉",
  watchdog_failed: "订单监控失败",
  watchdog_lost: "订单监控丢失",
  no_rider: "无骑手接单",
  pickup_overdue: "取餐超时",
  delivery_overdue: "送达超时",
  return_overdue: "退回超时",
};

const DETAIL_LABELS = { reason: "原因", rider_id: "骑手" };

/** What operators may do with an incident: a complaint is decided (which resolves it), anything else resolved. */
export const INCIDENT_ACTIONS = { resolve: "处理", uphold: "投诉成立", dismiss: "投诉不成立" };

/** One open incident as the operators' list shows it. */
export function incidentRow(incident) {
  const stuck = incident.kind.startsWith("stuck_") ? `订单卡在 ${incident.kind.slice(6)}` : null;
  return {
    id: incident.id,
    orderId: incident.order_id,
    head: `${INCIDENT_KINDS[incident.kind] || stuck || incident.kind} · 订单 #${orderRef(incident.order_id)}`,
    when: chinaTime(incident.created_at),
    detail: Object.entries(incident.detail || {})
      .map(([key, value]) => `${DETAIL_LABELS[key] || key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
      .join("，"),
    actions: incident.kind === "complaint" ? ["uphold", "dismiss"] : ["resolve"],
  };
}

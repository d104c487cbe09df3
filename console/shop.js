// The shop's state as the console's header shows it: taking orders, suspended by the platform, stopped by a lapsed
// food permit (until a renewal is approved, 证照), paused by the merchant, or closed by its hours
// until the next opening; and the one switch the merchant has (暂停接单 / 恢复接单, PATCH /merchants/{id}
// {paused}). Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { chinaTime } from "./alerts.js";

/** One merchant (GET /merchants/{merchantId}) as the header shows it. */
export function shopStatus(merchant) {
  let label = "营业中";
  if (merchant.suspended) label = "已被平台暂停营业";
  else if (merchant.food_permit_lapsed) label = "食品经营许可证已过期，暂停营业：请在证照中上传新证";
  else if (merchant.paused) label = "已暂停接单";
  else if (!merchant.open) label = merchant.next_opening ? `休息中，${chinaTime(merchant.next_opening)} 开始营业` : "休息中";
  return {
    label,
    open: merchant.open,
    switchTo: merchant.paused ? { paused: false, label: "恢复接单" } : { paused: true, label: "暂停接单" },
  };
}

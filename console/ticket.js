// A kitchen ticket (小票) for an order: what the shop's receipt printer prints (a 58 mm roll, 32 characters a line)
// from the order as GET /orders answers it. A pure function (no DOM), so that tests/console runs it under node.
import { chinaTime } from "./alerts.js";
import { CHANNEL_LABELS, orderRef, yuan } from "./orders.js";

const RULE = "-".repeat(32);

/** The ticket's lines, top to bottom: the shop, the order's reference, its dishes, money, note and where it goes. */
export function ticketLines(order, shopName) {
  const amounts = order.amounts;
  const address = order.address || {};
  const when = [`下单 ${chinaTime(order.created_at)}`, order.scheduled_for ? `预约 ${chinaTime(order.scheduled_for)}` : ""];
  const money = [
    `菜品 ${yuan(amounts.items_total)}`,
    `配送费 ${yuan(amounts.delivery_fee)}`,
    amounts.discount ? `优惠 -${yuan(amounts.discount)}` : "",
    `合计 ${yuan(amounts.total)}`,
    amounts.collect_on_delivery ? `货到付款 ${yuan(amounts.collect_on_delivery)}（骑手代收）` : "",
  ];
  return [
    shopName,
    `#${orderRef(order.id)}  ${CHANNEL_LABELS[order.channel] || order.channel}`,
    when.filter(Boolean).join("  "),
    RULE,
    ...(order.items || []).map((item) => `${item.name} ×${item.quantity}  ${yuan(item.line_total)}`),
    RULE,
    ...money.filter(Boolean),
    ...(order.note ? [RULE, `备注：${order.note}`] : []),
    RULE,
    [address.contact_name, address.contact_phone].filter(Boolean).join(" "),
    address.detail || "",
  ];
}

// The shop's cloud receipt printer (飞鹅云): GET /merchants/{merchantId}/printer made ready to show, the form's
// fields made into PUT /merchants/{merchantId}/printer's body (or what is wrong with them), the API's refusals in the
// merchant's words, and how an order's kitchen ticket (its kitchen_print) went. Pure functions (no DOM, no fetch), so
// that tests/console runs them under node.
import { chinaTime } from "./alerts.js";

// printing/binding.py: PrinterIn
const SN_PATTERN = /^[0-9A-Za-z]{6,20}$/;
const KEY_PATTERN = /^[0-9A-Za-z]{4,16}$/;
const LABEL_MAX = 20;
const MAX_COPIES = 4;
const DEFAULT_LABEL = "后厨";
const KEY_NEEDED = "请填写打印机底部标签上的识别码（KEY）。";

/** How many copies of each ticket the form offers (联数). */
export const COPIES_CHOICES = Object.fromEntries(
  Array.from({ length: MAX_COPIES }, (_, index) => [`${index + 1}`, `${index + 1} 联`]),
);

/** The printer's state as Feieyun last saw it (printing/feie.py: PrinterState), in the merchant's words. */
const STATE_LABELS = {
  ready: "在线",
  offline: "离线（接单后小票会在打印机上线时打出）",
  needs_attention: "缺纸或故障，请检查打印机",
  unknown: "状态未知",
};

/** The bound printer as the section shows it: its number with its name, copies and when it was bound, and its state. */
export function printerShown(printer) {
  return {
    summary: `${printer.sn}（${printer.label} · 每单 ${printer.copies} 联 · ${chinaTime(printer.bound_at)} 绑定）`,
    state: STATE_LABELS[printer.state] || STATE_LABELS.unknown,
    ready: printer.state === "ready",
  };
}

/** The form's fields for the bound printer (null: none, the form is for binding one); the key is never shown. */
export function printerFields(printer) {
  return {
    sn: printer?.sn ?? "",
    key: "",
    label: printer?.label ?? DEFAULT_LABEL,
    copies: `${printer?.copies ?? 1}`,
  };
}

/** The form's button: 保存 while its SN is the bound printer's (only its name or copies change), else 绑定. */
export function printerSubmitLabel(sn, printer) {
  return printer && (sn ?? "").trim() === printer.sn ? "保存" : "绑定";
}

/**
 * What the form sends for the shop whose printer is ``printer`` (null: none): ``{ body }``, ``{ unchanged: true }``
 * (the bound printer as it is), or the first thing to put right, ``{ error }``. The SN and key are sent as typed
 * (Feieyun tells their letters' case apart); the key may be left blank for the bound printer only.
 */
export function printerBody(fields, printer) {
  const sn = (fields.sn ?? "").trim();
  if (!SN_PATTERN.test(sn)) return { error: "编号（SN）须为打印机底部标签上的 6 到 20 位字母或数字。" };
  const key = (fields.key ?? "").trim();
  const boundAlready = printer?.sn === sn;
  if (!key && !boundAlready) return { error: KEY_NEEDED };
  if (key && !KEY_PATTERN.test(key)) return { error: "识别码（KEY）须为 4 到 16 位字母或数字。" };
  const label = (fields.label ?? "").trim();
  if (!label) return { error: `请填写打印机名称，如 ${DEFAULT_LABEL}、前台。` };
  if ([...label].length > LABEL_MAX) return { error: `打印机名称最多 ${LABEL_MAX} 个字。` };
  if (!Object.hasOwn(COPIES_CHOICES, fields.copies)) return { error: `联数须为 1 到 ${MAX_COPIES}。` };
  const copies = Number(fields.copies);
  if (boundAlready && label === printer.label && copies === printer.copies) return { unchanged: true };
  return { body: { sn, ...(key ? { key } : {}), label, copies } };
}

// The API's refusals the merchant can put right, or wait out (a refusal by Feieyun says Feieyun's reason).
const PROBLEMS = {
  PRINTER_TAKEN: "这台打印机已绑定在其他店铺。",
  PRINTER_KEY_REQUIRED: KEY_NEEDED,
  PRINTER_CLOUD_UNAVAILABLE: "暂时连不上飞鹅云，请稍后重试。",
  PRINTING_OFF: "平台尚未开通云打印。",
};

/** The API's refusal of a printer (printing/binding.py, printing/feie.py) in the merchant's words; null for others. */
export function printerProblem(code, details) {
  if (code === "PRINTER_REFUSED") return `飞鹅云拒绝：${details?.provider_message || "未说明原因"}`;
  return Object.hasOwn(PROBLEMS, code) ? PROBLEMS[code] : null;
}

/** How the order's kitchen ticket went on the shop's cloud printer; "" when it has none (no printer, not taken yet). */
export function kitchenPrintLabel(kitchenPrint) {
  if (kitchenPrint?.state === "sent") {
    return kitchenPrint.reprints ? `小票已发送到打印机（补打 ${kitchenPrint.reprints} 次）` : "小票已发送到打印机";
  }
  if (kitchenPrint?.state === "printing") return "小票打印中";
  if (kitchenPrint?.state === "failed") return `小票打印失败：${kitchenPrint.reason}`;
  return "";
}

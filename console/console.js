// The merchant console: sign in with an SMS code, pick a shop, watch its alerts (refreshed, with an unread badge).
import { REFRESH_SECONDS, alertRow, appendPage, badgeText, readUpTo } from "./alerts.js";

const state = { token: sessionStorage.getItem("token"), merchantId: null, page: null, shown: [], timer: null };
const $ = (id) => document.getElementById(id);
const SESSION_ENDED = new Set([401, 403]);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new ApiError(response.status, payload?.error?.message || `${response.status}`);
  return payload;
}

async function signIn(event) {
  event.preventDefault();
  const phone = $("phone").value.trim();
  if (!$("code").value) {
    await api("POST", "/auth/otp", { phone });
    $("code-row").hidden = false;
    return;
  }
  const session = await api("POST", "/auth/login", { phone, code: $("code").value.trim() });
  state.token = session.token;
  sessionStorage.setItem("token", state.token);
  await showShops();
}

async function showShops() {
  const shops = await api("GET", "/merchants/mine");
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("shop").replaceChildren(...shops.map((shop) => new Option(shop.name, shop.id)));
  $("shop").onchange = () => watch($("shop").value).catch(showError);
  if (shops.length) await watch(shops[0].id);
}

async function watch(merchantId) {
  state.merchantId = merchantId;
  clearInterval(state.timer);
  await refresh();
  state.timer = setInterval(() => refresh().catch(showError), REFRESH_SECONDS * 1000);
}

async function refresh() {
  state.page = await api("GET", `/merchants/${state.merchantId}/alerts`);
  state.shown = state.page.items;
  $("error").textContent = "";
  render();
}

// A refused session (the 15-minute token expired) must not leave stale alerts looking live: back to signing in.
function showError(error) {
  if (!SESSION_ENDED.has(error.status)) {
    $("error").textContent = error.message;
    return;
  }
  clearInterval(state.timer);
  state.token = null;
  sessionStorage.removeItem("token");
  $("console").hidden = true;
  $("code-row").hidden = true;
  $("code").value = "";
  $("sign-in").hidden = false;
  $("error").textContent = "登录已过期，请重新登录。";
}

async function more() {
  const page = await api("GET", `/merchants/${state.merchantId}/alerts?cursor=${encodeURIComponent(state.page.next_cursor)}`);
  state.shown = appendPage(state.shown, page);
  state.page = { ...page, items: state.page.items };
  render();
}

async function markRead() {
  const upTo = readUpTo(state.page);
  if (upTo) await api("POST", `/merchants/${state.merchantId}/alerts/read`, { up_to: upTo });
  await refresh();
}

function render() {
  $("badge").textContent = badgeText(state.page);
  $("alerts").replaceChildren(
    ...state.shown.map(alertRow).map((row) => {
      const li = document.createElement("li");
      li.className = row.unread ? "unread" : "";
      li.textContent = `[${row.kind}] ${row.when} ${row.title}：${row.body}`;
      return li;
    }),
  );
  $("more").hidden = !state.page.next_cursor;
}

$("sign-in").onsubmit = (event) => signIn(event).catch((error) => ($("error").textContent = error.message));
$("read").onclick = () => markRead().catch(showError);
$("more").onclick = () => more().catch(showError);
if (state.token) showShops().catch(() => sessionStorage.removeItem("token"));

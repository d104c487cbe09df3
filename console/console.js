// The merchant console: sign in with an SMS code, pick a shop, watch its alerts (refreshed, with an unread badge).
import { REFRESH_SECONDS, alertRow, appendPage, badgeText, readUpTo } from "./alerts.js";

const state = { token: sessionStorage.getItem("token"), merchantId: null, page: null, shown: [], timer: null };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(payload?.error?.message || `${response.status}`);
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
  $("shop").onchange = () => watch($("shop").value);
  if (shops.length) await watch(shops[0].id);
}

async function watch(merchantId) {
  state.merchantId = merchantId;
  clearInterval(state.timer);
  await refresh();
  state.timer = setInterval(refresh, REFRESH_SECONDS * 1000);
}

async function refresh() {
  state.page = await api("GET", `/merchants/${state.merchantId}/alerts`);
  state.shown = state.page.items;
  render();
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
$("read").onclick = () => markRead().catch((error) => ($("error").textContent = error.message));
$("more").onclick = () => more().catch((error) => ($("error").textContent = error.message));
if (state.token) showShops().catch(() => sessionStorage.removeItem("token"));

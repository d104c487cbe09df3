// The merchant console: sign in with an SMS code, pick a shop, watch its alerts (refreshed, with an unread badge),
// and bind its Ele.me shops (granted at Ele.me in a popup, which Ele.me sends back to the API's callback).
import { REFRESH_SECONDS, alertRow, appendPage, badgeText, readUpTo } from "./alerts.js";

const state = { token: sessionStorage.getItem("token"), merchantId: null, page: null, shown: [], timer: null };
const $ = (id) => document.getElementById(id);
const SESSION_ENDED = new Set([401, 403]);
const ELEME_POLL_MS = 500; // how often to look whether Ele.me has sent the popup back

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
  showElemeShops().catch(showError);
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

async function showElemeShops() {
  const shops = await api("GET", `/merchants/${state.merchantId}/channels/eleme`);
  $("eleme-shops").replaceChildren(
    ...shops.items.map((shop) => {
      const li = document.createElement("li");
      li.textContent = `${shop.shop_name || "店铺"}（${shop.shop_id}）`;
      const unbind = document.createElement("button");
      unbind.type = "button";
      unbind.textContent = "解除绑定";
      unbind.onclick = () => unbindElemeShop(shop.shop_id).catch(showError);
      li.append(unbind);
      return li;
    }),
  );
}

// Ele.me's page (a popup) asks the owner to sign in and grant the shops; Ele.me sends the popup back to the API's
// callback, which binds them (a cookie set here says it is this browser). The callback is on this site, so once the
// popup is there its answer can be read: then it closes and the list shows the shops. Without a popup (blocked),
// this window goes to Ele.me and the owner comes back by hand.
async function bindElemeShops() {
  const started = await api("POST", `/merchants/${state.merchantId}/channels/eleme/authorizations`);
  const popup = window.open(started.authorize_url, "eleme", "width=480,height=640");
  if (!popup) {
    window.location.assign(started.authorize_url);
    return;
  }
  const timer = setInterval(() => {
    let answer = null;
    try {
      if (popup.closed) {
        clearInterval(timer);
        showElemeShops().catch(showError);
        return;
      }
      const back = popup.location.pathname.endsWith("/channels/eleme/authorized");
      if (!back || popup.document.readyState !== "complete") return;
      answer = JSON.parse(popup.document.body.innerText);
    } catch {
      return; // still at Ele.me: another site's page can't be read
    }
    clearInterval(timer);
    popup.close();
    $("error").textContent = answer.error ? answer.error.message : "";
    showElemeShops().catch(showError);
  }, ELEME_POLL_MS);
}

async function unbindElemeShop(shopId) {
  await api("DELETE", `/merchants/${state.merchantId}/channels/eleme/${encodeURIComponent(shopId)}`);
  await showElemeShops();
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
$("eleme-bind").onclick = () => bindElemeShops().catch(showError);
if (state.token) showShops().catch(() => sessionStorage.removeItem("token"));

// The merchant console: sign in with an SMS code, pick a shop, pause it or take orders again, see its figures for today
// (hour by hour) and the week, enter a phone or walk-in order (the address looked up on the map and picked by the
// merchant), take or refuse its new orders and answer what its orders ask of it (a customer's cancel request, food
// coming back), follow the day's orders and print their kitchen tickets, download its orders of a range of days as a
// CSV file for its bookkeeping (对账), read its settlement (对账结算: what it is owed and may withdraw, its days of a
// range summed by kind with each day's lines order by order, the payouts made to it, its commission rate) and download
// the range's lines as a CSV file (导出对账单), add dishes
// and edit them (price, category, options, photo), take them off the menu
// or put them back and restock or count them, set the shop's hours, days off, prep time, auto-confirm, what an
// unanswered order becomes, what proves a delivery and its phone, keep its licences on file current (营业执照,
// 食品经营许可证, shown to customers with the dates they are valid until: a renewed one's image sent for the
// platform's review, which it follows, and on file in place of the old once approved), set who delivers (its riders,
// Dada, or its riders with Dada as a fallback) and its delivery areas with their fees, bind its cloud receipt printer
// (Feieyun, by the SN and KEY on its label), see its state and unbind it (each order the shop takes then prints its ticket there, and the
// order's row says how that went), watch its alerts (refreshed, with an unread badge), and bind its Ele.me shops
// (granted at Ele.me in a popup, which Ele.me sends back to the API's callback); a shop the platform has suspended says
// so at the top, with the platform's reason. A user with no shop gets a form to apply to open one instead, with the
// shop's documents (营业执照, 食品经营许可证: images uploaded with it), and follows the application (under review and
// changed meanwhile, declined with the reason and applied for again, approved: signing in again brings the shop). An
// operator (admin) signing in gets the operations view instead: an order desk (an order looked up by its reference,
// its id or the customer's phone, or today's orders of a status; its history and money, and cancelling or refunding
// it), the open incidents, each resolved with a note, the platform's figures, the day's riders, the riders themselves
// (applications approved or declined, riders suspended or let work again, their capacity, a rider registered by hand,
// the cash a rider collected at doors taken in), the shops opening (applications with their documents, approved with
// the dates read off them or declined with a reason, a shop registered by hand for its owner), the shops themselves
// (found by a part of the name, by whether they are suspended and by whether a licence renewal waits for review, with
// their licences on file, a renewal approved with its dates or declined with a reason, suspended with a reason their
// owner reads, or reinstated), and the merchants' settlement accounts (a transfer made to a shop recorded as its
// payout, with the bank's reference, at most what is payable; a shop's latest payouts, one recorded by mistake
// reversed with a reason; a shop's commission rate set).
import { REFRESH_SECONDS, alertRow, appendPage, badgeText, readUpTo } from "./alerts.js";
import {
  INCIDENT_ACTIONS,
  dishTable,
  figures,
  hourBars,
  incidentRow,
  riderTable,
  todayByHourQuery,
  weekQuery,
  weekTable,
} from "./analytics.js";
import { ACTIONS, STATUS_LABELS, chinaDay, orderRef, orderRow, yuan } from "./orders.js";
import { categoryChoices, dishEdit, dishFields, newDishBody, photoTooBig, photoType } from "./dish_form.js";
import { exportFileName, exportRange, ordersCsv, plainYuan } from "./export.js";
import {
  MAX_AREAS,
  MODE_CHOICES,
  SHAPE_CHOICES,
  deliveryBody,
  deliveryFields,
  deliveryProblem,
  newAreaFields,
} from "./delivery_settings.js";
import { DESK_ACTIONS, deskRow, lookupPath, moneyLines, nextPath, ordersIn, refundFen, todayPath } from "./order_desk.js";
import {
  APPLICATION_ACTIONS,
  VALIDITY_LABELS,
  applicationBody,
  applicationFields,
  applicationRow,
  approvalBody,
  chosenDocuments,
  declineBody,
  documentTooBig,
  myApplication,
  myDocuments,
  newShopBody,
  onboardingProblem,
  ownDocuments,
} from "./onboarding.js";
import { chosenLicences, licencesProblem, renewalShown } from "./licences.js";
import { orderBody, placeRow } from "./phone_order.js";
import {
  COPIES_CHOICES,
  printerBody,
  printerFields,
  printerProblem,
  printerShown,
  printerSubmitLabel,
} from "./printer.js";
import {
  ACTION_STATUS,
  RIDER_ACTIONS,
  VEHICLES,
  capacityOf,
  cashProblem,
  handInBody,
  newRiderBody,
  riderRow,
} from "./riders.js";
import { shopStatus } from "./shop.js";
import {
  SHOP_ACTIONS,
  STANDINGS,
  renewalApprovalBody,
  renewalDeclineBody,
  shopRow,
  shopsPath,
  suspendBody,
  suspensionNotice,
} from "./shops.js";
import {
  PROOF_CHOICES,
  UNANSWERED_CHOICES,
  WEEKDAYS,
  hoursProblem,
  settingsChanges,
  settingsFields,
} from "./shop_settings.js";
import {
  ACCOUNT_ACTIONS,
  COMMISSION_HINT,
  PAYOUT_ACTIONS,
  accountFigures,
  accountRow,
  commissionBp,
  commissionNote,
  commissionText,
  dayTable,
  daysWithLines,
  lineTable,
  payoutBody,
  payoutRow,
  payoutTable,
  reversalBody,
  reversalText,
  settlementProblem,
  settlementRange,
  statementCsv,
  statementFileName,
} from "./settlement.js";
import { STOCK_ACTIONS, quantity, stockRow } from "./stock.js";
import { ticketLines } from "./ticket.js";

const state = {
  token: sessionStorage.getItem("token"),
  roles: (sessionStorage.getItem("roles") || "").split(",").filter(Boolean),
  view: null, // the shown view's refresh: the shop's (refresh) or the operators' (refreshOps)
  shops: [], // the user's shops as GET /merchants/mine has them: why the platform suspended one
  merchantId: null,
  analytics: null,
  hours: null, // today's report hour by hour
  shop: null, // the merchant as GET /merchants/{merchantId} has it: open, paused, next opening
  page: null,
  shown: [],
  pending: [],
  today: null,
  todayShown: [],
  stock: [],
  timer: null,
  places: [], // where the phone order's address may be, as last looked up
  orderItemsKey: null, // the dishes the order form lists, so that a refresh leaves what was typed alone
  editing: null, // the dish the dish form edits (as the stock list had it), or null: the form adds a new one
  settingsBase: null, // the merchant as the settings form was filled from: what a save compares with
  deliveryBase: null, // the delivery settings the form was filled from (null until read): what a save builds on
  printer: undefined, // the shop's cloud printer as last read (null: none bound; undefined: not read yet)
  categoriesKey: null, // the categories the form's select lists, so that a refresh leaves the choice alone
  lookup: null, // the order desk's last lookup (the API's path): asked again at every refresh, to show what is now
  deskPage: null, // the answer to it (or to its last "more"): where the next page starts
  found: [], // the orders it shows: its first page, and those "more" added
  attempts: {}, // per form (order, dish, refund): the last request sent and its Idempotency-Key (idempotencyKey)
  money: new Map(), // order id → the lines of its payments and refunds, for those shown; read at each refresh
  lists: {}, // per operators' list (OPS_LISTS): its path (the API's query), the last page read, and all shown so far
  listReadings: {}, // per operators' list: how many first pages were asked for (showList draws only the newest)
  shopsPath: null, // the shops list's query as last searched (searchShops), which each refresh reads again
  myApplicationAt: undefined, // the updated_at of the user's own application the form was filled from (null: none)
  settlementQuery: null, // the range 对账结算 last read (the API's query), read again at each refresh while it is open
  dayLines: null, // the day whose lines it shows: its date, the lines read so far, and where the next page starts
  payee: null, // the merchant's account the payout form is for (as the list had it), or null: the form is hidden
  payoutsOf: null, // the merchant's account whose payouts 打款记录 shows (as the list had it), or null: hidden
  licencesRenewed: 0, // how many renewals of the licences this page has drawn: a reading sent before one is older
  typedDates: new Map(), // per operators' row to approve (an application, a renewal, as sent): kind → date typed
};
const $ = (id) => document.getElementById(id);
const SESSION_ENDED = new Set([401, 403]);
// The API's root: the page is served by the API itself, at <root>/console/ (in AWS the root is the stage, /prod).
const API_ROOT = window.location.pathname.replace(/\/console\/[^/]*$/, "");
const PAGE_TITLE = document.title;
const ELEME_POLL_MS = 500; // how often to look whether Ele.me has sent the popup back
const WHOLE_PAGE = "100"; // the API's largest page (of orders, of settlement lines; their api.py): the fewest requests
const REVOKE_AFTER_MS = 40_000; // a saved file's blob: URL is let go once the download has surely read it
const LINES_PAGE = "50"; // a day's settlement lines read at once

// A refusal as the API words it; for an invalid request, with what was wrong first (capacity: at most 10).
class ApiError extends Error {
  constructor(status, error) {
    const first = error?.code === "VALIDATION_ERROR" ? error.details?.errors?.[0] : null;
    const why = first ? ` ${first.loc?.at(-1)}: ${first.msg}` : "";
    super(`${error?.message || status}${why}`);
    this.status = status;
    this.code = error?.code;
    this.details = error?.details;
  }
}

async function api(method, path, body, extraHeaders = {}) {
  const headers = { "Content-Type": "application/json", ...extraHeaders };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(API_ROOT + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new ApiError(response.status, payload?.error);
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
  state.roles = session.user.roles;
  sessionStorage.setItem("token", state.token);
  sessionStorage.setItem("roles", state.roles.join(","));
  await showView();
}

function showView() {
  return state.roles.includes("admin") ? showOps() : showShops();
}

async function showOps() {
  $("sign-in").hidden = true;
  $("ops").hidden = false;
  $("title").textContent = "运营后台";
  document.title = "跑腿 · 运营后台";
  await every(refreshOps);
}

async function refreshOps() {
  const cleared = clearsError();
  const [report, hours, riders, incidents] = await Promise.all([
    api("GET", `/admin/analytics?${weekQuery(new Date())}`),
    api("GET", `/admin/analytics?${todayByHourQuery(new Date())}`),
    api("GET", "/admin/riders/leaderboard?metric=delivered&limit=20"),
    api("GET", "/admin/incidents?limit=100"),
    showFound(),
    showRiders(),
    showShopApplications(),
    showShopList(),
    showList("accounts", "/admin/settlement?limit=50"),
    showPayouts(),
  ]);
  const open = incidents.items;
  cleared();
  renderFigures("ops-figures", "ops-week", report);
  renderHours("ops-hours-chart", hours);
  renderTable("riders", riderTable(riders));
  $("no-riders").hidden = riders.riders.length > 0;
  $("incident-count").textContent = open.length ? `${open.length}` : "";
  $("incidents").replaceChildren(...open.map(incidentItem));
  $("no-incidents").hidden = open.length > 0;
}

// --- the order desk ---------------------------------------------------------------------------------

async function lookUp(event) {
  event.preventDefault();
  const asked = lookupPath($("lookup-query").value);
  if (asked.error) return sayBeside("lookup-result", asked.error);
  $("today-status").value = "";
  return lookAt(asked.path);
}

// Today's orders of the chosen status: where orders wait now (待接单, 等骑手), how many are on their way.
function watchToday() {
  const status = $("today-status").value;
  return status ? lookAt(todayPath(status, new Date())) : null;
}

async function lookAt(path) {
  state.lookup = path;
  state.money = new Map();
  await showFound();
  return null;
}

async function showFound() {
  if (!state.lookup) return;
  let answer;
  try {
    answer = await api("GET", state.lookup);
  } catch (error) {
    if (error.status !== 404) throw error;
    answer = { items: [], next_cursor: null }; // a whole id no order has
  }
  state.deskPage = answer;
  state.found = ordersIn(answer);
  await renderFound();
}

async function moreFound() {
  const page = await api("GET", nextPath(state.lookup, state.deskPage.next_cursor));
  state.deskPage = page;
  state.found = appendPage(state.found, page);
  await renderFound();
}

// The orders found, each with its payments and refunds when they are shown (read now, so they are current).
async function renderFound() {
  const shown = state.found.filter((order) => state.money.has(order.id));
  const money = await Promise.all(shown.map((order) => api("GET", `/orders/${order.id}/payments`)));
  state.money = new Map(shown.map((order, index) => [order.id, moneyLines(money[index])]));
  const more = state.deskPage.next_cursor ? "，还有更多" : "";
  $("lookup-result").textContent = state.found.length ? `找到 ${state.found.length} 单${more}` : "没有找到订单。";
  $("found").replaceChildren(...state.found.map(foundItem));
  $("found-more").hidden = !state.deskPage.next_cursor;
}

function foundItem(order) {
  const row = deskRow(order);
  const shown = { ...row, lines: [...row.lines, ...(state.money.get(row.id) || [])] };
  return listItem("found", shown, DESK_ACTIONS, (action) => DESK_DO[action](row));
}

// 款项 shows the order's payments and refunds below it, or hides them. Cancelling takes a reason (the paid part is
// refunded by RefundWorker); a refund takes an amount in yuan, at most what is left, and a reason, and is sent with
// an Idempotency-Key kept while it is unchanged.
const DESK_DO = {
  money: (row) => {
    if (state.money.has(row.id)) state.money.delete(row.id);
    else state.money.set(row.id, []); // read with the lookup, now and at each refresh
    return true;
  },
  cancel: (row) => {
    const reason = window.prompt("取消原因（顾客和商家会看到）")?.trim();
    return reason ? api("POST", `/orders/${row.id}/cancel`, { reason }) : null;
  },
  refund: (row) => {
    const asked = window.prompt(`退款金额（元），最多 ${yuan(row.refundable)}`, (row.refundable / 100).toFixed(2));
    if (asked === null) return null;
    const amount = refundFen(asked, row.refundable);
    if (amount === null) return sayBeside("error", `退款金额须在 ¥0.01 到 ${yuan(row.refundable)} 之间。`);
    const reason = window.prompt("退款原因（顾客会看到）")?.trim();
    if (!reason) return null;
    const key = idempotencyKey("refund", [row.id, amount, reason]);
    return api("POST", `/orders/${row.id}/refunds`, { amount, reason }, { "Idempotency-Key": key }).then((refund) => {
      delete state.attempts.refund; // gone through: the same amount and reason again is another refund
      return refund;
    });
  },
};

// --- the operators' lists: riders, shop applications, shops -------------------------------------------

// Where each list shows (its rows, what says it has none, its 更多 button) and how an item is made its row.
const OPS_LISTS = {
  riders: { rows: "rider-list", none: "no-rider-rows", more: "riders-more", item: riderItem },
  applications: {
    rows: "shop-applications",
    none: "no-shop-applications",
    more: "shop-applications-more",
    item: shopApplicationItem,
  },
  shops: { rows: "shop-list", none: "no-shop-rows", more: "shops-more", item: shopItem },
  accounts: { rows: "account-list", none: "no-account-rows", more: "accounts-more", item: accountItem },
};
const SCAN_PAGES = 5; // pages read at most to find one that holds rows (scanPage)

// The list's first page at ``path`` (the API's query, with its limit), in place of what it showed; that page. Only the
// newest reading asked for is drawn: a timed refresh that read the list before the operator's decision, and answers
// after the decision's own reading, would draw the decided row back (it would stay until the next refresh).
async function showList(name, path) {
  const asked = (state.listReadings[name] = (state.listReadings[name] ?? 0) + 1);
  const page = await scanPage(path, null);
  if (asked !== state.listReadings[name]) return page;
  state.lists[name] = { path, page, shown: page.items };
  renderList(name);
  return page;
}

// 更多: the list's next page, after what it shows.
async function moreOf(name) {
  const list = state.lists[name];
  const page = await scanPage(list.path, list.page.next_cursor);
  list.shown = list.shown.concat(page.items); // a scan: its pages never repeat an item
  list.page = page;
  renderList(name);
}

function renderList(name) {
  const { rows, none, more, item } = OPS_LISTS[name];
  const { page, shown } = state.lists[name];
  $(rows).replaceChildren(...shown.map(item));
  $(none).hidden = shown.length > 0;
  $(more).hidden = !page.next_cursor;
}

// The page of a list at ``path`` from ``cursor`` (null: the first). The API's lists are filtered scans: a page may
// hold none of what is asked for while more follow, so up to SCAN_PAGES are read until one holds some, for a list
// not to look empty when it is not.
async function scanPage(path, cursor) {
  let page;
  let next = cursor;
  let read = 0;
  do {
    const pagePath = next ? nextPath(path, next) : path;
    page = await api("GET", pagePath);
    next = page.next_cursor;
    read += 1;
  } while (!page.items.length && next && read < SCAN_PAGES);
  return page;
}

// --- riders: applications, suspensions, capacity, a rider registered by hand ---------------------------

// The chosen status's first page, and the applications waiting (the heading's count) whatever is chosen.
async function showRiders() {
  const status = $("rider-status").value;
  const [page, waiting] = await Promise.all([
    showList("riders", `/admin/riders?status=${status}&limit=50`),
    status === "PENDING" ? null : scanPage("/admin/riders?status=PENDING&limit=100", null),
  ]);
  $("applicant-count").textContent = waitingCount(waiting || page);
}

// The heading's count of what waits, from the first page of it that holds some ("50+": more pages follow).
function waitingCount(page) {
  const count = page.items.length;
  return count ? `${count}${page.next_cursor ? "+" : ""}` : "";
}

function riderItem(rider) {
  return listItem("rider", riderRow(rider), RIDER_ACTIONS, (action) => RIDER_DO[action](rider));
}

// Declining and suspending are asked to be confirmed: a suspended rider goes offline at once (riders/onboarding.py).
const RIDER_DO = {
  approve: (rider) => setRiderStatus(rider, "approve"),
  reinstate: (rider) => setRiderStatus(rider, "reinstate"),
  decline: (rider) => window.confirm(`拒绝 ${rider.name} 的申请？`) && setRiderStatus(rider, "decline"),
  suspend: (rider) => window.confirm(`停用 ${rider.name}？骑手会立即下线，不再收到订单。`) && setRiderStatus(rider, "suspend"),
  capacity: (rider) => {
    const asked = window.prompt(`${rider.name}：最多同时配送几单`, `${rider.capacity}`);
    if (asked === null) return null;
    const capacity = capacityOf(asked);
    if (capacity === null) return sayBeside("error", "容量须为正整数。");
    return api("PATCH", `/admin/riders/${rider.id}`, { capacity });
  },
  // 收现金: what the rider hands in (what they hold, offered), with a note (the station, the receipt's number), under
  // an Idempotency-Key kept while the same is sent again
  cash: (rider) => {
    const asked = window.prompt(`${rider.name} 交回现金（元），现持有 ${yuan(rider.cash_held)}`, plainYuan(rider.cash_held));
    if (asked === null) return null;
    const note = window.prompt("备注（站点、收据号，可不填）", "");
    if (note === null) return null;
    const described = handInBody(asked, note);
    if (described.error) return sayBeside("error", described.error);
    const headers = { "Idempotency-Key": idempotencyKey("handin", { rider: rider.id, ...described.body }) };
    return api("POST", `/admin/riders/${rider.id}/cash-handins`, described.body, headers).catch(inCashWords);
  },
};

function setRiderStatus(rider, action) {
  return api("PATCH", `/admin/riders/${rider.id}`, { status: ACTION_STATUS[action] });
}

async function addRider(event) {
  event.preventDefault();
  const described = newRiderBody(readForm(RIDER_FIELDS));
  if (described.error) return sayBeside("rider-result", described.error);
  await whileBusy([$("rider-submit")], async () => {
    const rider = await api("POST", "/admin/riders", described.body);
    $("rider-form").reset();
    sayBeside("rider-result", `已添加：${rider.name}（${rider.phone}）`);
    await refreshOps();
  });
  return null;
}

// --- shops opening: applications, a shop registered by hand ------------------------------------------

// The chosen status's first page, and the applications waiting (the heading's count) whatever is chosen.
async function showShopApplications() {
  const status = $("shop-application-status").value;
  const [page, waiting] = await Promise.all([
    showList("applications", `/admin/merchant-applications?status=${status}&limit=50`),
    status === "PENDING" ? null : scanPage("/admin/merchant-applications?status=PENDING&limit=100", null),
  ]);
  $("shop-applicant-count").textContent = waitingCount(waiting || page);
}

// Its documents below its details (listItem), for the operator to look at before approving (which needs them all),
// with the dates read off them to approve it with.
function shopApplicationItem(application) {
  const row = applicationRow(application, new Date());
  const typed = typedDates(`application ${application.applicant_id} ${application.updated_at}`);
  const run = (action) => APPLICATION_DO[action](application, typed);
  return listItem("application", row, APPLICATION_ACTIONS, run, typed);
}

// The dates typed in a row's fields (kind → YYYY-MM-DD), kept by what the row is for (``key``: its documents as sent,
// which a change makes another) so that the refresh, which draws the row again, leaves what is typed.
function typedDates(key) {
  if (!state.typedDates.has(key)) state.typedDates.set(key, {});
  return state.typedDates.get(key);
}

// A document (证照) as a ``tag`` element: a link to its image, with a thumbnail, named by its kind; or what says it is
// not uploaded. The link opens the whole image in a new tab, without handing that tab this page.
function documentEntry(entry, tag) {
  const element = document.createElement(tag);
  element.dataset.kind = entry.kind;
  if (!entry.url) {
    element.textContent = entry.text;
    return element;
  }
  const link = document.createElement("a");
  link.href = entry.url;
  link.target = "_blank";
  link.rel = "noopener";
  const thumbnail = document.createElement("img");
  thumbnail.src = entry.url;
  thumbnail.alt = entry.text;
  link.append(thumbnail, entry.text);
  element.append(link);
  return element;
}

// Approving opens the shop at once, so it is confirmed first, once the dates typed off its documents are checked;
// declining takes a reason, which the applicant reads.
const APPLICATION_DO = {
  approve: (application, typed) => {
    const approval = approvalBody(typed, new Date());
    if (approval.error) return sayBeside("error", approval.error);
    const asked = `通过 ${application.name} 的开店申请？店铺会立即开业，申请人重新登录后即可管理。`;
    return window.confirm(asked) && decideApplication(application, approval.body);
  },
  decline: (application) => {
    const asked = window.prompt(`拒绝 ${application.name} 的开店申请：原因（申请人会看到）`);
    if (asked === null) return null;
    const decline = declineBody(asked);
    if (decline.error) return sayBeside("error", decline.error);
    return decideApplication(application, decline.body);
  },
};

function decideApplication(application, decision) {
  const applicantId = application.applicant_id;
  return api("POST", `/admin/merchant-applications/${applicantId}/decision`, decision).catch(inOnboardingWords);
}

async function registerShop(event) {
  event.preventDefault();
  const described = newShopBody(readForm(REGISTER_FIELDS));
  if (described.error) return sayBeside("register-result", described.error);
  const headers = { "Idempotency-Key": idempotencyKey("register", described.body) };
  await whileBusy([$("register-submit")], async () => {
    const shop = await api("POST", "/admin/merchants", described.body, headers).catch(inOnboardingWords);
    $("register-form").reset();
    delete state.attempts.register; // gone through: the same shop again is another shop
    sayBeside("register-result", `已登记：${shop.name}（${shop.id}）`);
  });
  return null;
}

// --- shops: found by name and standing, suspended with a reason or reinstated ---------------------------

// The shops the search fields ask for, when they are sent or the status is chosen; each refresh reads them again.
async function searchShops(event) {
  event?.preventDefault();
  const asked = shopsPath(readForm(SHOP_SEARCH_FIELDS));
  if (asked.error) return sayBeside("shop-search-result", asked.error);
  $("shop-search-result").textContent = "";
  state.shopsPath = asked.path; // what a refresh reads from now, even one that begins before this reading is drawn
  await showList("shops", asked.path);
  return null;
}

// As last searched (what is typed meanwhile waits for 查找); the first time, as the search fields say.
function showShopList() {
  return state.shopsPath ? showList("shops", state.shopsPath) : searchShops();
}

// Its owner's licence renewal, while it waits for review, below its licences on file, with the dates read off it to
// approve it with.
function shopItem(shop) {
  const typed = typedDates(`shop ${shop.id} ${shop.licence_renewal?.submitted_at}`);
  return listItem("shop", shopRow(shop, new Date()), SHOP_ACTIONS, (action) => SHOP_DO[action](shop, typed), typed);
}

// Suspending and reinstating are confirmed: a suspended shop takes no order of any channel from then on and customers
// no longer find it (the orders it has taken go on); suspending takes a reason, which its owner reads, as declining a
// licence renewal does.
const SHOP_DO = {
  suspend: (shop) => {
    const asked = window.prompt(`暂停 ${shop.name} 的营业资格：原因（店主会看到）`);
    if (asked === null) return null;
    const suspension = suspendBody(asked);
    if (suspension.error) return sayBeside("error", suspension.error);
    const warning = "店铺会立即停止接单，顾客也找不到它，直到平台恢复；已接的订单照常完成。";
    return window.confirm(`暂停 ${shop.name}？${warning}`) && setStanding(shop, suspension.body);
  },
  reinstate: (shop) =>
    window.confirm(`恢复 ${shop.name} 的营业资格？店铺会按店主的设置重新接单。`) &&
    setStanding(shop, { suspended: false }),
  // approving puts the renewal's licences on file at once, shown to customers: confirmed, once its dates are checked
  approveRenewal: (shop, typed) => {
    const approval = renewalApprovalBody(shop.licence_renewal, typed, new Date());
    if (approval.error) return sayBeside("error", approval.error);
    const asked = `通过 ${shop.name} 的证照更新？新证照会立即替换公示的证照。`;
    return window.confirm(asked) && decideRenewal(shop, approval.body);
  },
  declineRenewal: (shop) => {
    const asked = window.prompt(`驳回 ${shop.name} 的证照更新：原因（店主会看到）`);
    if (asked === null) return null;
    const decline = renewalDeclineBody(asked);
    if (decline.error) return sayBeside("error", decline.error);
    return decideRenewal(shop, decline.body);
  },
};

function decideRenewal(shop, decision) {
  return api("POST", `/admin/merchants/${shop.id}/licences/renewal/decision`, decision).catch(inLicenceWords);
}

function setStanding(shop, standing) {
  return api("PATCH", `/admin/merchants/${shop.id}`, standing);
}

// --- merchants' settlement: accounts, payouts, commission rates ------------------------------------------

function accountItem(account) {
  return listItem("account", accountRow(account), ACCOUNT_ACTIONS, (action) => ACCOUNT_DO[action](account));
}

// 登记打款 opens the payout form for the shop; 打款记录 lists its latest payouts; 佣金 asks for the rate, the shop's
// current one offered, which the orders settled from then on pay (the list does not show it: nothing to refresh).
const ACCOUNT_DO = {
  payout: (account) => {
    startPayout(account);
    return null;
  },
  history: (account) => openPayouts(account),
  commission: async (account) => {
    const { commission_bp: current } = await api("GET", `/merchants/${account.merchant_id}/settlement`);
    const asked = window.prompt(`${account.name}：佣金比例（%），之后结算的订单按此计算`, commissionText(current));
    if (asked === null) return null;
    const basisPoints = commissionBp(asked);
    if (basisPoints === null) return sayBeside("accounts-result", COMMISSION_HINT);
    const body = { commission_bp: basisPoints };
    const set = await api("PUT", `/admin/merchants/${account.merchant_id}/commission`, body);
    const rate = commissionText(set.commission_bp);
    return sayBeside("accounts-result", `${account.name} 的佣金已设为 ${rate}，之后结算的订单按此计算。`);
  },
};

// The form for ``account``'s shop, what was typed for another shop cleared.
function startPayout(account) {
  if (state.payee?.merchant_id !== account.merchant_id) closePayout();
  state.payee = account;
  $("payout-title").textContent = `向 ${account.name} 登记打款（可提现 ${yuan(account.payable)}）`;
  $("payout-form").hidden = false;
  $("payout-form").scrollIntoView({ block: "nearest" });
  $("payout-amount").focus();
}

function closePayout() {
  state.payee = null;
  delete state.attempts.payout;
  $("payout-form").reset();
  $("payout-form").hidden = true;
  $("payout-result").textContent = "";
}

// A transfer made to the shop, recorded, with an Idempotency-Key kept while it is unchanged (for this shop). Whether
// it is at most what is payable is checked by the API, which says how much is: the list may be older than the account.
async function recordPayout(event) {
  event.preventDefault();
  const described = payoutBody(readForm(PAYOUT_FIELDS));
  if (described.error) return sayBeside("payout-result", described.error);
  const payee = state.payee;
  const key = idempotencyKey("payout", { merchant_id: payee.merchant_id, ...described.body });
  await whileBusy([$("payout-submit")], async () => {
    const headers = { "Idempotency-Key": key };
    const sent = api("POST", `/admin/merchants/${payee.merchant_id}/payouts`, described.body, headers);
    const payout = await sent.catch(inSettlementWords);
    closePayout(); // gone through: the same amount again is another payout
    sayBeside("accounts-result", `已登记：向 ${payee.name} 打款 ${yuan(payout.amount)}（流水号 ${payout.reference}）`);
    await refreshOps();
  });
  return null;
}

// 打款记录: ``account``'s shop's latest payouts (the API's last 20, newest first), in place of another shop's.
async function openPayouts(account) {
  state.payoutsOf = account;
  $("payout-history-title").textContent = `${account.name} 的打款记录（最近 20 笔）`;
  $("payout-history-result").textContent = "";
  await showPayouts();
  $("payout-history").hidden = false;
  $("payout-history").scrollIntoView({ block: "nearest" });
  return null;
}

// The shown shop's payouts, read again at each refresh while shown (another operator may reverse one); not shown if
// another shop's were asked for meanwhile.
async function showPayouts() {
  const account = state.payoutsOf;
  if (!account) return;
  const { payouts } = await api("GET", `/merchants/${account.merchant_id}/settlement`);
  if (account !== state.payoutsOf) return;
  $("payout-history-list").replaceChildren(...payouts.map(payoutItem));
  $("no-payout-history").hidden = payouts.length > 0;
}

function closePayouts() {
  state.payoutsOf = null;
  $("payout-history").hidden = true;
  $("payout-history-list").replaceChildren();
}

function payoutItem(payout) {
  return listItem("payout", payoutRow(payout), PAYOUT_ACTIONS, (action) => PAYOUT_DO[action](payout));
}

// 撤销: a payout recorded by mistake (the bank sent it back, it was never made), asked why (the shop reads it); its
// amount is owed to the shop again, so the history and the accounts are read again (act's refresh). Reversing one
// already reversed answers it as it is: nothing to guard against a second click.
const PAYOUT_DO = {
  reverse: async (payout) => {
    const described = reversalBody(window.prompt("撤销这笔打款的原因（如：银行退回）"));
    if (!described) return null;
    if (described.error) return sayBeside("payout-history-result", described.error);
    const sent = api("POST", `/admin/merchants/${payout.merchant_id}/payouts/${payout.id}/reversal`, described.body);
    const reversed = await sent.catch(inSettlementWords);
    sayBeside("payout-history-result", reversalText(reversed));
    return true;
  },
};

// --- incidents -------------------------------------------------------------------------------------

function incidentItem(incident) {
  const row = incidentRow(incident);
  return rowItem({
    key: "incident",
    id: row.id,
    head: `${row.head} ${row.when}`,
    status: "待处理",
    lines: row.detail ? [line(row.detail, "detail")] : [],
    actions: row.actions,
    labels: INCIDENT_ACTIONS,
    run: (action) => INCIDENT_DO[action](row),
  });
}

// Resolving takes a note; deciding a complaint takes an optional one, and its incident is resolved once the
// decision has gone through (OpsWorker), which the next refresh shows.
const INCIDENT_DO = {
  resolve: (row) => {
    const note = window.prompt("处理说明");
    if (note === null) return null;
    return api("POST", `/admin/incidents/${row.id}/resolve`, { note: note.trim() || undefined });
  },
  uphold: (row) => decideComplaint(row, true),
  dismiss: (row) => decideComplaint(row, false),
};

function decideComplaint(row, upheld) {
  const note = window.prompt(upheld ? "投诉成立：说明（骑手会被按规则处罚）" : "投诉不成立：说明（可不填）");
  if (note === null) return null;
  return api("POST", `/orders/${row.orderId}/complaint/decision`, { upheld, note: note.trim() || undefined });
}

// Today is the week's last day: its figures above, the week's table below them.
function renderFigures(figuresId, tableId, report) {
  renderPairs(figuresId, figures(report.periods[report.periods.length - 1]));
  renderTable(tableId, weekTable(report));
}

// [label, value] pairs as figures: each its label over its value.
function renderPairs(id, pairs) {
  $(id).replaceChildren(
    ...pairs.map(([label, value]) => {
      const pair = document.createElement("div");
      const term = document.createElement("dt");
      term.textContent = label;
      const data = document.createElement("dd");
      data.textContent = value;
      pair.append(term, data);
      return pair;
    }),
  );
}

// Each hour a bar as tall as its share of the busiest hour's orders; its orders on hover.
function renderHours(chartId, report) {
  $(chartId).replaceChildren(
    ...hourBars(report).map((bar) => {
      const column = document.createElement("div");
      column.className = "bar";
      column.title = `${bar.hour} 时：${bar.orders} 单`;
      const fill = document.createElement("div");
      fill.style.height = `${bar.height}%`;
      const label = document.createElement("span");
      label.textContent = bar.label;
      column.append(fill, label);
      return column;
    }),
  );
}

function renderTable(tableId, table) {
  const row = (cells, tag) => {
    const tr = document.createElement("tr");
    tr.append(
      ...cells.map((text) => {
        const cell = document.createElement(tag);
        cell.textContent = text;
        return cell;
      }),
    );
    return tr;
  };
  $(tableId).replaceChildren(row(table.header, "th"), ...table.rows.map((cells) => row(cells, "td")));
}

// Refresh the shown view now and then every REFRESH_SECONDS.
async function every(view) {
  clearInterval(state.timer);
  state.view = view;
  await view();
  state.timer = setInterval(() => view().catch(showError), REFRESH_SECONDS * 1000);
}

// A user who is not a merchant (the API refuses them the merchants' routes) or has no shop is offered to apply for one.
async function showShops() {
  const shops = state.roles.includes("merchant") ? await api("GET", "/merchants/mine") : [];
  if (!shops.length) return showApplying();
  state.shops = shops;
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("shop").replaceChildren(...shops.map((shop) => new Option(shop.name, shop.id)));
  $("shop").onchange = () => watch($("shop").value).catch(showError);
  return watch(shops[0].id);
}

async function watch(merchantId) {
  state.merchantId = merchantId;
  resetOrderForm();
  resetDishForm();
  state.categoriesKey = null;
  $("settings").open = false; // another shop's settings are filled when opened
  $("shop-licences").open = false; // and its licences read
  $("licences-form").reset();
  $("licences-result").textContent = "";
  showLicences([]);
  showRenewal(null);
  $("delivery").open = false;
  state.deliveryBase = null;
  $("printer").open = false;
  state.printer = undefined;
  $("export-result").textContent = ""; // what was exported of the shop picked before
  $("settlement").open = false; // another shop's settlement is read when opened
  $("settlement-export-result").textContent = "";
  state.settlementQuery = null;
  state.dayLines = null;
  $("settlement-day").hidden = true;
  showElemeShops().catch(showError);
  await every(refresh);
}

async function refresh() {
  const cleared = clearsError();
  const [shop, alerts, pending, today, stock, analytics, hours] = await Promise.all([
    api("GET", `/merchants/${state.merchantId}`),
    api("GET", `/merchants/${state.merchantId}/alerts`),
    pendingOrders(),
    api("GET", `/orders?${ordersQuery({ from: chinaDay(new Date()) })}`),
    api("GET", `/merchants/${state.merchantId}/stock`),
    api("GET", `/merchants/${state.merchantId}/analytics?${weekQuery(new Date())}`),
    api("GET", `/merchants/${state.merchantId}/analytics?${todayByHourQuery(new Date())}`),
    refreshSettlement(),
    refreshLicences(),
  ]);
  // only GET /merchants/mine says why the platform suspended the shop: read again while it is or was suspended
  if (shop.suspended || pickedShop()?.suspended) state.shops = await api("GET", "/merchants/mine");
  state.shop = shop;
  state.analytics = analytics;
  state.hours = hours;
  state.page = alerts;
  state.shown = alerts.items;
  state.pending = pending;
  state.today = today;
  state.todayShown = today.items;
  state.stock = stock;
  cleared();
  render();
}

// The picked shop as GET /merchants/mine has it.
function pickedShop() {
  return state.shops.find((shop) => shop.id === state.merchantId);
}

function ordersQuery(query) {
  return new URLSearchParams({ role: "merchant", merchant_id: state.merchantId, limit: "20", ...query });
}

// Every order still waiting to be taken. Each waits minutes at most (the confirmation timeout), so since
// yesterday (China time) covers the night's turn; the status filter may leave pages short, so all are read.
function pendingOrders() {
  return allOrders({ status: "PAID", from: chinaDay(new Date(), 1) });
}

// Every order ``query`` asks for; ``progress`` hears how many so far.
function allOrders(query, progress) {
  return allPages((paging) => api("GET", `/orders?${ordersQuery({ ...query, ...paging })}`), "items", progress);
}

// Every item of a list, page after page (its next_cursor followed): ``read(paging)`` reads the page ``paging`` (its
// limit and cursor) says, whose items are its ``field``; ``progress`` hears how many so far.
async function allPages(read, field, progress = () => {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await read({ limit: WHOLE_PAGE, ...(cursor ? { cursor } : {}) });
    items.push(...page[field]);
    progress(items.length);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

async function moreOrders() {
  const query = { from: chinaDay(new Date()), cursor: state.today.next_cursor };
  const page = await api("GET", `/orders?${ordersQuery(query)}`);
  state.todayShown = appendPage(state.todayShown, page);
  state.today = page;
  render();
}

// What each button does; one that asks the merchant for words does nothing when they cancel the question.
const ORDER_ACTIONS = {
  confirm: (orderId) => api("POST", `/orders/${orderId}/transitions`, { to: "CONFIRMED" }),
  reject: (orderId) => {
    const reason = window.prompt("拒单原因（顾客会看到）")?.trim();
    return reason ? api("POST", `/orders/${orderId}/cancel`, { reason }) : null;
  },
  approveCancel: (orderId) => api("POST", `/orders/${orderId}/cancel-request`, { approve: true }),
  refuseCancel: (orderId) => {
    const reason = window.prompt("拒绝取消的原因（可不填）");
    if (reason === null) return null;
    return api("POST", `/orders/${orderId}/cancel-request`, { approve: false, reason: reason.trim() || undefined });
  },
  returned: (orderId) => api("POST", `/orders/${orderId}/transitions`, { to: "RETURNED" }),
  print: (orderId) => printTicket(orderId),
  reprint: (orderId) => api("POST", `/orders/${orderId}/kitchen-ticket`),
};

// The browser's print dialog with only the ticket on the page (index.html's print style): the shop's receipt printer.
function printTicket(orderId) {
  const order = [...state.pending, ...state.todayShown].find((shown) => shown.id === orderId);
  $("ticket").textContent = ticketLines(order, state.shop.name).join("\n");
  window.print();
  return null;
}

// What each product's buttons do; a quantity that is not a whole number in range is said, not sent.
const STOCK_DO = {
  edit: (product) => {
    $("dish-photo").value = "";
    startEditing(product);
    return null;
  },
  takeOff: (product) => editProduct(product, { on_sale: false }),
  putOn: (product) => editProduct(product, { on_sale: true }),
  restock: (product) => {
    const asked = window.prompt(`${product.name}：补货数量`);
    if (asked === null) return null;
    const qty = quantity(asked, 1);
    if (qty === null) return sayBeside("error", "补货数量须为 1 到 1000000 的整数。");
    return api("POST", `/merchants/${state.merchantId}/products/${product.id}/restock`, { qty });
  },
  count: (product) => {
    const asked = window.prompt(`${product.name}：盘点后的现有数量`);
    if (asked === null) return null;
    const stock = quantity(asked, 0);
    if (stock === null) return sayBeside("error", "现有数量须为 0 到 1000000 的整数。");
    return api("PUT", `/merchants/${state.merchantId}/stock`, [{ product_id: product.id, stock, reason: "盘点" }]);
  },
};

// Pausing takes the shop off customers' lists at once (and every quote and order is refused) until it is resumed.
function switchShop(paused) {
  if (paused && !window.confirm("暂停接单？顾客将无法下单，直到恢复接单。")) return null;
  return api("PATCH", `/merchants/${state.merchantId}`, { paused });
}

// Compare-and-set on the version shown: an edit made meanwhile elsewhere is a 409, said until the next refresh
// shows the dish as it is now.
function editProduct(product, fields) {
  return api("PATCH", `/merchants/${state.merchantId}/products/${product.id}`, { version: product.version, ...fields });
}

// The console's forms, each a map of its fields' names to their elements' ids: what the pure modules read and fill.
const ORDER_FIELDS = {
  channel: "order-channel",
  payment: "order-payment",
  name: "order-name",
  phone: "order-phone",
  room: "order-room",
  note: "order-note",
};
const DISH_FIELDS = {
  name: "dish-name",
  price: "dish-price",
  category: "dish-category",
  description: "dish-description",
  options: "dish-options",
  stock: "dish-stock",
};
const SETTINGS_FIELDS = {
  always: "hours-always",
  holidays: "holidays",
  prep: "prep-minutes",
  autoConfirm: "auto-confirm",
  unanswered: "unanswered",
  proof: "proof",
  phone: "shop-phone",
};
// (the delivery form's areas are fieldsets of their own, each field named by its data-field)
const DELIVERY_FIELDS = {
  mode: "delivery-mode",
  fallback: "carrier-fallback",
  shopNo: "carrier-shop-no",
  cityCode: "carrier-city-code",
};
const PRINTER_FIELDS = { sn: "printer-sn", key: "printer-key", label: "printer-label", copies: "printer-copies" };
const RIDER_FIELDS = { name: "rider-name", phone: "rider-phone", vehicle: "rider-vehicle" };
const REGISTER_FIELDS = {
  owner: "register-owner",
  name: "register-name",
  phone: "register-phone",
  address: "register-address",
  location: "register-location",
  prep: "register-prep",
};
const SHOP_SEARCH_FIELDS = {
  name: "shop-search-name",
  standing: "shop-search-standing",
  renewal: "shop-search-renewal",
};
const SETTLEMENT_FIELDS = { from: "settlement-from", to: "settlement-to" };
const PAYOUT_FIELDS = { amount: "payout-amount", reference: "payout-reference", note: "payout-note" };
const APPLY_FIELDS = {
  name: "apply-name",
  phone: "apply-phone",
  address: "apply-address",
  location: "apply-location",
  note: "apply-note",
};
// file inputs, by kind: the applicant's documents, and the shop's licences renewed
const DOCUMENT_FIELDS = { business_licence: "apply-licence", food_permit: "apply-permit" };
const LICENCE_FIELDS = { business_licence: "licence-business", food_permit: "licence-permit" };

// A field's value as the pure modules take it (a checkbox as whether it is checked), and a field set to one.
function valueOf(input) {
  return input.type === "checkbox" ? input.checked : input.value;
}

function setValue(input, value) {
  if (input.type === "checkbox") input.checked = value;
  else input.value = value;
}

// A form's fields as an object.
function readForm(fields) {
  return Object.fromEntries(Object.entries(fields).map(([name, id]) => [name, valueOf($(id))]));
}

// A form's fields filled from ``values``; a field ``values`` leaves out is left as it is.
function fillForm(fields, values) {
  for (const [name, id] of Object.entries(fields)) {
    if (name in values) setValue($(id), values[name]);
  }
}

// The Idempotency-Key for what a form sends: the same while it sends the same (a retry after a lost answer, a second
// click), so the API makes it once; a new one once what is sent changes, or the form is reset after it went through.
function idempotencyKey(form, body) {
  const sent = JSON.stringify(body);
  if (state.attempts[form]?.sent !== sent) state.attempts[form] = { sent, key: crypto.randomUUID() };
  return state.attempts[form].key;
}

// Buttons stay disabled while their request runs, so that a double click does not send it twice.
async function whileBusy(buttons, run) {
  buttons.forEach((button) => (button.disabled = true));
  try {
    return await run();
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

// A row's action; the view is refreshed once it has gone through.
function act(run, buttons) {
  return whileBusy(buttons, async () => {
    if (await run()) await state.view();
  });
}

// A refused session (the 15-minute token expired) must not leave stale alerts looking live: back to signing in.
function showError(error) {
  if (!SESSION_ENDED.has(error.status)) {
    $("error").textContent = error.message;
    return;
  }
  signOut("登录已过期，请重新登录。");
}

// A refresh that went through clears, once done, what #error said when it began (a failed refresh's words, an earlier
// refusal): not a refusal said while it ran (the operator clicked meanwhile, e.g. 通过 refused for missing documents),
// which would otherwise vanish before it is read.
function clearsError() {
  const said = $("error").textContent;
  return () => {
    if ($("error").textContent === said) $("error").textContent = "";
  };
}

// Back to signing in, the session forgotten and the refresh stopped; ``message`` says why.
function signOut(message) {
  clearInterval(state.timer);
  state.token = null;
  sessionStorage.removeItem("token");
  sessionStorage.removeItem("roles");
  $("console").hidden = true;
  $("ops").hidden = true;
  $("apply").hidden = true;
  $("code-row").hidden = true;
  $("code").value = "";
  $("sign-in").hidden = false;
  $("error").textContent = message;
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

function line(text, className) {
  const div = document.createElement("div");
  div.className = className;
  div.textContent = text;
  return div;
}

// A list row: its head (with its status on the right), then its lines, then a button per action.
function rowItem({ key, id, head, status: statusText, lines, actions, labels, run }) {
  const li = document.createElement("li");
  li.dataset[key] = id;
  const top = line(head, "head");
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = statusText;
  top.append(status);
  li.append(top, ...lines);
  const buttons = actions.map((action) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.action = action;
    button.textContent = labels[action];
    return button;
  });
  buttons.forEach((button) => (button.onclick = () => act(() => run(button.dataset.action), buttons).catch(showError)));
  li.append(...buttons);
  return li;
}

// A row as the pure modules make it ({ id, head, status, lines, actions }), its lines as details; a shop's or its
// application's documents (证照) below them, side by side; a shop's licence renewal waiting for review, what it says
// and its documents; and the fields of the dates to approve them with (``typed``: what is typed in them, typedDates).
function listItem(key, row, labels, run, typed = {}) {
  const lines = row.lines.map((text) => line(text, "detail"));
  if (row.documents) lines.push(documentsOf(row.documents));
  if (row.renewal) {
    const renewal = document.createElement("div");
    renewal.className = "renewal";
    renewal.append(line(row.renewal.text, "asks"), documentsOf(row.renewal.documents));
    lines.push(renewal);
  }
  const dates = row.dates ?? row.renewal?.dates ?? [];
  if (dates.length) lines.push(dateFields(dates, typed));
  return rowItem({ key, id: row.id, head: row.head, status: row.status, lines, actions: row.actions, labels, run });
}

function documentsOf(entries) {
  const documents = document.createElement("div");
  documents.className = "documents";
  documents.append(...entries.map((entry) => documentEntry(entry, "span")));
  return documents;
}

// A date field per kind (VALIDITY_LABELS's), filled from and kept in ``typed``.
function dateFields(kinds, typed) {
  const fields = document.createElement("div");
  fields.className = "dates";
  for (const kind of kinds) {
    const input = document.createElement("input");
    input.type = "date";
    input.dataset.validUntil = kind;
    input.value = typed[kind] ?? "";
    input.oninput = input.onchange = () => (typed[kind] = input.value);
    const label = document.createElement("label");
    label.append(`${VALIDITY_LABELS[kind]} `, input);
    fields.append(label);
  }
  return fields;
}

function orderItem(order) {
  const row = orderRow(order);
  const lines = [
    line([row.items, row.total, row.collect].filter(Boolean).join(" · "), "detail"),
    line(`${row.contact} ${row.address}`.trim(), "detail"),
  ];
  if (row.note) lines.push(line(`备注：${row.note}`, "detail"));
  if (row.ticket) lines.push(line(row.ticket, row.ticketFailed ? "asks" : "detail"));
  if (row.cancelRequest) lines.push(line(`顾客申请取消：${row.cancelRequest}`, "asks"));
  return rowItem({
    key: "order",
    id: row.id,
    head: `#${row.ref} ${row.when} ${row.channel} ${row.scheduled}`.trim(),
    status: row.status,
    lines,
    actions: row.actions,
    labels: ACTIONS,
    run: (action) => ORDER_ACTIONS[action](row.id),
  });
}

function stockItem(product) {
  const row = stockRow(product);
  const lines = [line([`库存 ${row.onHand}`, row.reserved].filter(Boolean).join(" · "), "detail")];
  if (row.low) lines.push(line("库存不足", "asks"));
  const li = rowItem({
    key: "product",
    id: row.id,
    head: `${row.name} ${row.price}`,
    status: row.state,
    lines,
    actions: row.actions,
    labels: STOCK_ACTIONS,
    run: (action) => STOCK_DO[action](product),
  });
  if (row.photo) {
    const photo = document.createElement("img");
    photo.className = "photo";
    photo.src = row.photo;
    photo.alt = row.name;
    li.prepend(photo);
  }
  return li;
}

function render() {
  // the owner's own switch stays theirs while suspended; the notice says no order comes in until the platform lifts it
  const notice = suspensionNotice(pickedShop());
  $("suspended-banner").textContent = notice ?? "";
  $("suspended-banner").hidden = !notice;
  const status = shopStatus(state.shop);
  $("shop-status").textContent = status.label;
  $("shop-status").className = status.open ? "open" : "closed";
  $("shop-switch").textContent = status.switchTo.label;
  $("shop-switch").onclick = () => act(() => switchShop(status.switchTo.paused), [$("shop-switch")]).catch(showError);
  renderFigures("figures", "week", state.analytics);
  renderHours("hours-chart", state.hours);
  renderTable("dishes", dishTable(state.analytics, state.stock));
  $("no-dishes").hidden = state.analytics.dishes.length > 0;
  renderOrderItems();
  renderCategories();
  $("pending-count").textContent = state.pending.length ? `${state.pending.length}` : "";
  // in a background tab the count shows in the tab's title
  document.title = state.pending.length ? `(${state.pending.length}) ${PAGE_TITLE}` : PAGE_TITLE;
  $("pending").replaceChildren(...state.pending.map(orderItem));
  $("today").replaceChildren(...state.todayShown.map(orderItem));
  $("today-more").hidden = !state.today.next_cursor;
  $("stock").replaceChildren(...state.stock.map(stockItem));
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

// --- applying to open a shop -----------------------------------------------------------------------

// The user's application as it stands, refreshed so that a decision shows when it is made, and the form.
async function showApplying() {
  $("sign-in").hidden = true;
  $("apply").hidden = false;
  state.myApplicationAt = undefined; // the form is filled for whoever signed in
  await every(refreshApplying);
}

async function refreshApplying() {
  const cleared = clearsError();
  let application = null;
  try {
    application = await api("GET", "/merchants/applications/mine");
  } catch (error) {
    if (error.code !== "APPLICATION_NOT_FOUND") throw error;
  }
  cleared();
  showMyApplication(application);
}

// The form is filled from the application when it changes (sent, decided), not at every refresh: what is typed stays.
// Its documents are listed at every refresh: their links are short-lived, each reading brings new ones.
function showMyApplication(application) {
  const at = application?.updated_at ?? null;
  // a refresh that read it before this page sent a change, answering after: what is shown is newer
  if (at !== null && typeof state.myApplicationAt === "string" && at < state.myApplicationAt) return;
  const shown = myApplication(application);
  $("apply-status").textContent = shown.status;
  $("apply-form").hidden = !shown.form;
  $("apply-submit").textContent = shown.submit;
  $("apply-sign-in").hidden = !shown.signInAgain;
  $("apply-documents").hidden = !shown.form;
  const documents = myDocuments(application, new Date());
  $("apply-documents").replaceChildren(...documents.map((entry) => documentEntry(entry, "li")));
  if (at === state.myApplicationAt) return;
  state.myApplicationAt = at;
  fillForm(APPLY_FIELDS, applicationFields(application));
  $("apply-result").textContent = ""; // said of the application as it was
}

// Sent again while pending, it changes the application; after a decline, it is a new one. The documents chosen are
// checked before anything is sent, uploaded, then sent with it by their ids: one not chosen keeps what it has.
async function applyForShop(event) {
  event.preventDefault();
  const fields = readForm(APPLY_FIELDS);
  const described = applicationBody(fields);
  const documents = chosenDocuments(chosenFiles(DOCUMENT_FIELDS));
  if (described.error || documents.error) return sayBeside("apply-result", described.error || documents.error);
  await whileBusy([$("apply-submit")], async () => {
    const body = applicationBody(fields, await uploadDocuments(documents.chosen)).body;
    const application = await api("POST", "/merchants/applications", body).catch(inOnboardingWords);
    clearFiles(DOCUMENT_FIELDS); // sent: listed below now
    showMyApplication(application);
    sayBeside("apply-result", "已提交，请等待平台审核。");
  });
  return null;
}

// The files chosen in a form's file inputs (``fields``: kind → id), by kind: nothing for a kind none is chosen of.
function chosenFiles(fields) {
  return Object.fromEntries(Object.entries(fields).map(([kind, id]) => [kind, $(id).files[0]]));
}

function clearFiles(fields) {
  Object.values(fields).forEach((id) => ($(id).value = ""));
}

// The documents chosen (``[kind, file]`` pairs), uploaded side by side: kind → document id, to send them by.
async function uploadDocuments(chosen) {
  const uploads = chosen.map(async ([kind, file]) => [kind, await uploadDocument(kind, file)]);
  return Object.fromEntries(await Promise.all(uploads));
}

// A document's image, uploaded as a dish's photo is (catalog/documents.py grants the POST): its id, to apply with or
// to renew a shop's licence with.
async function uploadDocument(kind, file) {
  const grant = await api("POST", "/merchants/applications/documents", { content_type: file.type });
  await sendGranted(grant, file, (max) => documentTooBig(kind, max));
  return grant.document_id;
}


// --- dishes: added, edited, given a photo -----------------------------------------------------------

// The shop's categories to pick from; rebuilt only when they change, so a refresh leaves the choice alone.
function renderCategories() {
  const choices = categoryChoices(state.shop.categories);
  const key = JSON.stringify(choices);
  if (key === state.categoriesKey) return;
  state.categoriesKey = key;
  const picked = $("dish-category").value;
  $("dish-category").replaceChildren(...choices.map((category) => new Option(category.name, category.id)));
  $("dish-category").value = choices.some((category) => category.id === picked) ? picked : "";
}

function startEditing(product) {
  state.editing = product;
  fillForm(DISH_FIELDS, dishFields(product));
  $("dish-stock-row").hidden = true; // stock is counted in the list (盘点)
  $("dish-summary").textContent = `编辑：${product.name}`;
  $("dish-submit").textContent = "保存修改";
  $("dish-cancel").hidden = false;
  $("dish-result").textContent = "";
  $("dish-editor").open = true;
  $("dish-editor").scrollIntoView({ block: "nearest" });
}

function resetDishForm() {
  state.editing = null;
  delete state.attempts.dish;
  $("dish-form").reset();
  $("dish-category").value = "";
  $("dish-stock-row").hidden = false;
  $("dish-summary").textContent = "新增菜品";
  $("dish-submit").textContent = "保存";
  $("dish-cancel").hidden = true;
}

// A new dish is created (or the edit sent, compare-and-set on the version shown), then its photo, if one was chosen,
// uploaded and made the dish's picture. A photo that fails leaves the dish saved and the form editing it, so that
// trying again sends the photo, not a second dish.
async function saveDish(event) {
  event.preventDefault();
  const form = readForm(DISH_FIELDS);
  const described = state.editing ? dishEdit(form, state.editing) : newDishBody(form);
  const photo = photoType($("dish-photo").files[0]);
  if (described.error || photo.error) return sayBeside("dish-result", described.error || photo.error);
  if (described.unchanged && !photo.type) return sayBeside("dish-result", "没有改动。");
  await whileBusy([$("dish-submit")], async () => {
    let dish = state.editing;
    if (!dish) {
      const key = idempotencyKey("dish", described.body);
      dish = await api("POST", `/merchants/${state.merchantId}/products`, described.body, { "Idempotency-Key": key });
    }
    else if (!described.unchanged) {
      dish = await api("PATCH", `/merchants/${state.merchantId}/products/${dish.id}`, described.body);
    }
    if (photo.type) {
      try {
        const imageId = await uploadPhoto($("dish-photo").files[0]);
        const images = { images: [imageId], version: dish.version };
        dish = await api("PUT", `/merchants/${state.merchantId}/products/${dish.id}/images`, images);
      } catch (error) {
        startEditing(dish); // the dish is saved: what is left to send is its photo, still chosen
        throw Object.assign(new Error(`菜品已保存，图片没有：${error.message}`), { status: error.status });
      }
    }
    resetDishForm();
    sayBeside("dish-result", `已保存：${dish.name}`);
    await refresh();
  });
  return null;
}

// A dish's photo (catalog/images.py grants the POST): its image id, to make it the dish's picture.
async function uploadPhoto(file) {
  const grant = await api("POST", `/merchants/${state.merchantId}/images`, { content_type: file.type });
  await sendGranted(grant, file, photoTooBig);
  return grant.image_id;
}

// Straight to S3 with the presigned POST the API granted: the form fields, then the file; ``tooBig(max)`` says so when
// the file is bigger than the grant allows. Each caller asks for its own grant, as the page's API calls are written
// out with their routes (tests/unit/test_console.py checks each is one the API has).
async function sendGranted(grant, file, tooBig) {
  if (file.size > grant.max_bytes) throw new Error(tooBig(grant.max_bytes));
  const body = new FormData();
  Object.entries(grant.fields).forEach(([name, value]) => body.append(name, value));
  body.append("file", file);
  const sent = await fetch(grant.url, { method: "POST", body });
  if (!sent.ok) throw new Error(`图片上传失败（${sent.status}），请重试。`);
}

// The shop's categories are replaced as a whole (PUT …/categories): the ones it has, and the new one at the end.
async function newCategory() {
  const name = window.prompt("新分类名称")?.trim();
  if (!name) return;
  const known = state.shop.categories.map((category) => category.id);
  const categories = await api("PUT", `/merchants/${state.merchantId}/categories`, [
    ...state.shop.categories.map(({ id, name: named }) => ({ id, name: named })),
    { name },
  ]);
  state.shop = { ...state.shop, categories };
  renderCategories();
  $("dish-category").value = categories.find((category) => !known.includes(category.id))?.id ?? "";
}


// --- shop settings ---------------------------------------------------------------------------------

// Filled when opened (and after a save), never by the refresh, so that what is typed stays. A save sends what differs
// from what the form was filled with, so a setting changed elsewhere meanwhile, and not touched here, is kept.
function fillSettings() {
  state.settingsBase = state.shop;
  const fields = settingsFields(state.shop);
  fillForm(SETTINGS_FIELDS, fields);
  for (const [day] of WEEKDAYS) $(`hours-${day}`).value = fields.days[day];
  $("hours-days").disabled = fields.always;
}

async function saveSettings(event) {
  event.preventDefault();
  const fields = {
    ...readForm(SETTINGS_FIELDS),
    days: Object.fromEntries(WEEKDAYS.map(([day]) => [day, $(`hours-${day}`).value])),
  };
  const changes = settingsChanges(fields, state.settingsBase);
  if (changes.error || changes.unchanged) return sayBeside("settings-result", changes.error || "没有改动。");
  await whileBusy([$("settings-submit")], async () => {
    try {
      state.shop = await api("PATCH", `/merchants/${state.merchantId}`, changes.body);
    } catch (error) {
      const overlapping = error.code === "VALIDATION_ERROR" && hoursProblem(error.details);
      if (!overlapping) throw error;
      return sayBeside("settings-result", overlapping);
    }
    fillSettings();
    sayBeside("settings-result", "已保存。");
    render();
    return null;
  });
  return null;
}


// --- the shop's licences (证照) ------------------------------------------------------------------------

// Read when opened and at each refresh while open: the links to their images are short-lived, each reading brings new
// ones (the refresh's timer, not one of their own).
function refreshLicences() {
  return $("shop-licences").open ? readLicences() : null;
}

// What is on file (as customers see it), and the latest renewal sent: waiting for review, or declined and why (none
// sent: the API answers 404). Not drawn if another shop was picked meanwhile, nor over a renewal drawn meanwhile: it
// may have read them before the renewal went in.
async function readLicences() {
  const merchantId = state.merchantId;
  const renewed = state.licencesRenewed;
  const [licences, renewal] = await Promise.all([
    api("GET", `/merchants/${merchantId}/licences`),
    api("GET", `/merchants/${merchantId}/licences/renewal`).catch(noRenewal),
  ]);
  if (merchantId !== state.merchantId || renewed !== state.licencesRenewed) return;
  showLicences(licences);
  showRenewal(renewal);
}

function noRenewal(error) {
  if (error.code !== "RENEWAL_NOT_FOUND") throw error;
  return null;
}

function showLicences(licences) {
  $("licences").replaceChildren(...ownDocuments(licences, new Date()).map((entry) => documentEntry(entry, "li")));
}

const RENEWAL_SENT = "已提交，等待平台审核。";

// Once decided, what was said of sending it is said no more: the decision is (or, approved, the list on file).
function showRenewal(renewal) {
  const shown = renewalShown(renewal, new Date());
  $("licence-renewal").textContent = shown.status;
  $("licence-renewal").hidden = !shown.status;
  $("licence-renewal-documents").replaceChildren(...shown.documents.map((entry) => documentEntry(entry, "li")));
  const decided = renewal?.status !== "PENDING";
  if (decided && $("licences-result").textContent === RENEWAL_SENT) sayBeside("licences-result", "");
}

// The licences chosen are checked before anything is sent, uploaded as an applicant's documents are, then sent for
// review by their ids: a kind not chosen stays as the renewal waiting has it (they may be sent one at a time). The
// answer is the renewal, on file once an operator approves it.
async function renewLicences(event) {
  event.preventDefault();
  const licences = chosenLicences(chosenFiles(LICENCE_FIELDS));
  if (licences.error) return sayBeside("licences-result", licences.error);
  const merchantId = state.merchantId;
  await whileBusy([$("licences-submit")], async () => {
    const body = await uploadDocuments(licences.chosen);
    const renewal = await api("PUT", `/merchants/${merchantId}/licences`, body).catch(inLicenceWords);
    clearFiles(LICENCE_FIELDS); // sent: listed as the renewal's now
    if (merchantId !== state.merchantId) return; // another shop picked meanwhile: its section is closed
    state.licencesRenewed += 1;
    showRenewal(renewal);
    sayBeside("licences-result", RENEWAL_SENT);
  });
  return null;
}


// --- delivery settings ------------------------------------------------------------------------------

// Read when opened, never by the refresh, so that what is typed stays; after a save, filled from the API's answer.
// The API replaces the settings whole, so a save builds on what the form was filled from.
async function openDelivery() {
  const merchantId = state.merchantId;
  state.deliveryBase = null;
  await whileBusy([$("delivery-submit")], async () => {
    const settings = await api("GET", `/merchants/${merchantId}/delivery`);
    if (merchantId === state.merchantId) fillDelivery(settings); // not if another shop was picked meanwhile
  });
}

function fillDelivery(settings) {
  state.deliveryBase = settings;
  const fields = deliveryFields(settings);
  fillForm(DELIVERY_FIELDS, fields);
  $("delivery-areas").replaceChildren(...fields.areas.map(areaFieldset));
  showDeliveryChoices();
}

// An area's fieldset (index.html's template) filled with ``fields``; it remembers which area read it shows.
function areaFieldset(fields) {
  const fieldset = $("area-template").content.firstElementChild.cloneNode(true);
  fieldset.dataset.from = fields.from ?? "";
  for (const input of fieldset.querySelectorAll("[data-field]")) setValue(input, fields[input.dataset.field]);
  fieldset.querySelector('[data-field="shape"]').onchange = showDeliveryChoices;
  fieldset.querySelector('[data-action="remove"]').onclick = () => {
    fieldset.remove();
    showDeliveryChoices();
  };
  return fieldset;
}

function readAreas() {
  return [...$("delivery-areas").children].map((fieldset) => {
    const inputs = [...fieldset.querySelectorAll("[data-field]")];
    const from = fieldset.dataset.from === "" ? null : Number(fieldset.dataset.from);
    return { from, ...Object.fromEntries(inputs.map((input) => [input.dataset.field, valueOf(input)])) };
  });
}

// What the choices made show: Dada's shop where Dada delivers, each area's radius or polygon, and adding or removing
// areas within the API's bounds.
function showDeliveryChoices() {
  const carrier = $("delivery-mode").value === "carrier";
  $("carrier-fallback").disabled = carrier; // Dada already delivers all
  $("carrier-shop").hidden = !carrier && !$("carrier-fallback").checked;
  const areas = [...$("delivery-areas").children];
  areas.forEach((fieldset, index) => {
    fieldset.querySelector("legend").textContent = `区域 ${index + 1}`;
    const shape = fieldset.querySelector('[data-field="shape"]').value;
    for (const shown of fieldset.querySelectorAll("[data-shape]")) shown.hidden = shown.dataset.shape !== shape;
    fieldset.querySelector('[data-action="remove"]').disabled = areas.length === 1;
  });
  $("area-add").disabled = areas.length >= MAX_AREAS;
}

function addArea() {
  const fieldset = areaFieldset(newAreaFields());
  $("delivery-areas").append(fieldset);
  showDeliveryChoices();
  fieldset.querySelector('[data-field="name"]').focus();
}

async function saveDelivery(event) {
  event.preventDefault();
  if (!state.deliveryBase) return sayBeside("delivery-result", "配送设置还没有读取成功：请收起后重新打开。");
  const described = deliveryBody({ ...readForm(DELIVERY_FIELDS), areas: readAreas() }, state.deliveryBase);
  if (described.error || described.unchanged) return sayBeside("delivery-result", described.error || "没有改动。");
  await whileBusy([$("delivery-submit")], async () => {
    let saved;
    try {
      saved = await api("PUT", `/merchants/${state.merchantId}/delivery`, described.body);
    } catch (error) {
      const problem = error.status === 422 && deliveryProblem(error.code, error.details, described.body);
      if (!problem) throw error;
      return sayBeside("delivery-result", problem);
    }
    fillDelivery(saved);
    return sayBeside("delivery-result", "已保存。");
  });
  return null;
}


// --- the cloud printer ------------------------------------------------------------------------------

// Read when opened, the form filled from it, and by 刷新状态, the form left as typed; never by the refresh: each read
// asks Feieyun for the printer's state.
async function readPrinter({ fill }) {
  const merchantId = state.merchantId;
  if (fill) state.printer = undefined;
  await whileBusy(printerButtons(), async () => {
    let printer = null;
    try {
      printer = await api("GET", `/merchants/${merchantId}/printer`);
    } catch (error) {
      if (error.code !== "PRINTER_NOT_BOUND") throw error;
    }
    if (merchantId === state.merchantId) showPrinter(printer, { fill }); // not if another shop was picked meanwhile
  });
}

// The shop's printer (null: none), and the form's button for it: 绑定, or 保存 while the form shows the bound one.
function showPrinter(printer, { fill }) {
  state.printer = printer;
  $("no-printer").hidden = printer !== null;
  $("printer-bound").hidden = printer === null;
  if (printer) {
    const shown = printerShown(printer);
    $("printer-summary").textContent = shown.summary;
    $("printer-state").textContent = shown.state;
    $("printer-state").className = shown.ready ? "ready" : "";
  }
  if (fill) fillForm(PRINTER_FIELDS, printerFields(printer));
  showPrinterSubmit();
}

function showPrinterSubmit() {
  $("printer-submit").textContent = printerSubmitLabel($("printer-sn").value, state.printer);
}

function printerButtons() {
  return [$("printer-submit"), $("printer-refresh"), $("printer-unbind")];
}

// Binding a printer (or another one) checks its KEY at Feieyun and prints a page there; the bound one's name and
// copies change without it.
async function savePrinter(event) {
  event.preventDefault();
  if (state.printer === undefined) return sayBeside("printer-result", "云打印机还没有读取成功：请收起后重新打开。");
  const described = printerBody(readForm(PRINTER_FIELDS), state.printer);
  if (described.error || described.unchanged) return sayBeside("printer-result", described.error || "没有改动。");
  await whileBusy(printerButtons(), async () => {
    const bound = await api("PUT", `/merchants/${state.merchantId}/printer`, described.body).catch(inPrinterWords);
    const fresh = state.printer?.sn !== bound.sn;
    showPrinter(bound, { fill: true });
    sayBeside("printer-result", fresh ? "已绑定：打印机会打出一张“打印机已绑定”。" : "已保存。");
  });
  return null;
}

// Unbinding stops the tickets of the orders taken from then on: asked to be confirmed.
async function unbindPrinter() {
  if (!window.confirm(`解绑打印机 ${state.printer.sn}？之后接单不再自动打印小票。`)) return null;
  await whileBusy(printerButtons(), async () => {
    await api("DELETE", `/merchants/${state.merchantId}/printer`).catch(inPrinterWords);
    showPrinter(null, { fill: true });
    sayBeside("printer-result", "已解绑。");
  });
  return null;
}


// --- phone and walk-in orders ---------------------------------------------------------------------

async function findPlaces() {
  const address = $("order-address").value.trim();
  if (!address) return sayBeside("order-result", "请先填写地址。");
  const query = new URLSearchParams({ address });
  const found = await api("GET", `/merchants/${state.merchantId}/delivery/places?${query}`);
  state.places = found.items;
  const deliverable = state.places.filter((place) => place.deliverable);
  $("order-places").replaceChildren(
    ...state.places.map((place, index) => {
      const row = placeRow(place);
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "order-place";
      radio.value = `${index}`;
      radio.disabled = !row.deliverable;
      radio.checked = deliverable.length === 1 && place === deliverable[0];
      label.append(radio, ` ${row.label}`);
      const li = document.createElement("li");
      li.append(label);
      return li;
    }),
  );
  $("order-result").textContent = state.places.length ? "" : "没有找到这个地址，换个说法试试（加上区、路名）。";
  return null;
}

// The dishes on sale, each with a quantity; rebuilt only when the menu changes, so typing survives the refresh.
function renderOrderItems() {
  const orderable = state.stock.filter((product) => product.on_sale && product.available);
  const key = orderable.map((product) => product.id).join(",");
  if (key === state.orderItemsKey) return;
  state.orderItemsKey = key;
  const typed = orderQuantities();
  $("order-items").replaceChildren(
    ...orderable.map((product) => {
      const input = document.createElement("input");
      input.dataset.product = product.id;
      input.inputMode = "numeric";
      input.size = 3;
      input.value = typed[product.id] ?? "";
      const label = document.createElement("label");
      label.append(`${product.name} ${yuan(product.price)} × `, input);
      const li = document.createElement("li");
      li.append(label);
      return li;
    }),
  );
}

function orderQuantities() {
  return Object.fromEntries([...$("order-items").querySelectorAll("input")].map((input) => [input.dataset.product, input.value]));
}

async function placeOrder(event) {
  event.preventDefault();
  const picked = document.querySelector('input[name="order-place"]:checked');
  const described = orderBody({
    ...readForm(ORDER_FIELDS),
    place: picked ? state.places[Number(picked.value)] : null,
    quantities: orderQuantities(),
  });
  if (described.error) return sayBeside("order-result", described.error);
  const key = idempotencyKey("order", described.body);
  await whileBusy([$("order-submit")], async () => {
    const order = await api("POST", `/merchants/${state.merchantId}/orders`, described.body, { "Idempotency-Key": key });
    resetOrderForm();
    const collect = order.amounts.collect_on_delivery ? `，货到付款 ${yuan(order.amounts.collect_on_delivery)}` : "";
    sayBeside("order-result", `已下单 #${orderRef(order.id)}（${yuan(order.amounts.total)}${collect}）`);
    await refresh();
  });
  return null;
}


// --- exporting orders (对账) -----------------------------------------------------------------------

// Today (China time), when the section opens with no day picked.
function fillExportDays() {
  const today = chinaDay(new Date());
  if (!$("export-from").value) $("export-from").value = today;
  if (!$("export-to").value) $("export-to").value = today;
}

// The shop's orders of the days picked, read page by page (the count said as it grows), saved as a CSV file; of the
// shop picked when 导出 was clicked, should another be picked meanwhile.
async function exportOrders(event) {
  event.preventDefault();
  const range = exportRange($("export-from").value, $("export-to").value);
  if (range.error) return sayBeside("export-result", range.error);
  const shop = pickedShop();
  await whileBusy([$("export-submit")], async () => {
    const query = { merchant_id: shop.id, from: range.from, to: range.to };
    const orders = await allOrders(query, (count) => sayBeside("export-result", `已读取 ${count} 单…`));
    saveCsv(ordersCsv(orders), exportFileName(shop.name, range));
    sayBeside("export-result", `已导出 ${orders.length} 单`);
  });
  return null;
}

// Saved as a download from a blob: URL, clicked in a link made here: nothing inline, as the page's CSP wants.
function saveCsv(text, fileName) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}


// --- settlement (对账结算) ---------------------------------------------------------------------------

// Read when opened: the range typed, or none the first time (the API's own, the last 7 days, fills the fields).
function openSettlement() {
  return $("settlement-from").value ? readSettlement() : showSettlement("");
}

// 查询: the range typed, checked first.
async function readSettlement(event) {
  event?.preventDefault();
  const range = settlementRange($("settlement-from").value, $("settlement-to").value);
  if (range.error) return sayBeside("settlement-result", range.error);
  await whileBusy([$("settlement-submit")], () => showSettlement(`${new URLSearchParams(range)}`));
  return null;
}

// At each refresh while open, the range last read (what is typed meanwhile waits for 查询): the day's money as it
// comes in (the lines are written once an order is delivered, a moment later).
function refreshSettlement() {
  return $("settlement").open && state.settlementQuery !== null ? showSettlement(state.settlementQuery) : null;
}

// The statement for ``query`` (the API's from and to; "": its default range); not shown if another shop was picked
// meanwhile.
async function showSettlement(query) {
  const merchantId = state.merchantId;
  const statement = await api("GET", `/merchants/${merchantId}/settlement?${query}`).catch(inSettlementWords);
  if (merchantId !== state.merchantId) return;
  const range = { from: statement.start, to: statement.end };
  if (!query) fillForm(SETTLEMENT_FIELDS, range);
  state.settlementQuery = `${new URLSearchParams(range)}`;
  $("settlement-result").textContent = "";
  renderPairs("settlement-account", accountFigures(statement.account));
  $("settlement-commission").textContent = commissionNote(statement.commission_bp);
  renderDays(statement);
  renderTable("payouts", payoutTable(statement.payouts));
  $("no-payouts").hidden = statement.payouts.length > 0;
  $("payouts").hidden = !statement.payouts.length;
}

// The days' table, a 明细 button on each day that has lines.
function renderDays(statement) {
  const table = dayTable(statement);
  renderTable("settlement-days", table);
  [...$("settlement-days").rows].slice(1).forEach((row, index) => {
    const date = table.dates[index];
    if (!date) return;
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.day = date;
    button.textContent = "明细";
    button.onclick = () => openDay(date).catch(saidBeside("settlement-result"));
    const cell = document.createElement("td");
    cell.append(button);
    row.append(cell);
  });
}

// 明细: the day's lines, order by order, in place of the day shown before; 更多 adds the next page.
function openDay(date) {
  state.dayLines = { date, lines: [], next: null };
  return moreLines();
}

async function moreLines() {
  const day = state.dayLines;
  const query = new URLSearchParams({ day: day.date, limit: LINES_PAGE, ...(day.next ? { cursor: day.next } : {}) });
  const page = await api("GET", `/merchants/${state.merchantId}/settlement/lines?${query}`);
  if (day !== state.dayLines) return; // another day, or shop, picked meanwhile
  day.lines = day.lines.concat(page.lines);
  day.next = page.next_cursor;
  $("settlement-lines-title").textContent = `${day.date} 明细（${day.lines.length} 笔${day.next ? "，还有更多" : ""}）`;
  renderTable("settlement-lines", lineTable(day.lines));
  $("settlement-lines-more").hidden = !day.next;
  $("settlement-day").hidden = false;
}

// 导出对账单: the range the section last showed (what is typed meanwhile waits for 查询), its statement read again and
// the lines of each of its days that has any, day after day (the count said as it grows), saved as a CSV file; of
// the shop picked when clicked, should another be picked meanwhile.
async function exportStatement() {
  const beside = "settlement-export-result";
  if (state.settlementQuery === null) return sayBeside(beside, "对账结算还没有读取成功：请先点“查询”。");
  const shop = pickedShop();
  await whileBusy([$("settlement-export")], async () => {
    const query = state.settlementQuery;
    const statement = await api("GET", `/merchants/${shop.id}/settlement?${query}`).catch(inSettlementWords);
    const lines = [];
    for (const day of daysWithLines(statement)) {
      const read = (paging) =>
        api("GET", `/merchants/${shop.id}/settlement/lines?${new URLSearchParams({ day, ...paging })}`);
      const before = lines.length;
      lines.push(...(await allPages(read, "lines", (count) => sayBeside(beside, `已读取 ${before + count} 笔…`))));
    }
    const range = { from: statement.start, to: statement.end };
    saveCsv(statementCsv(lines), statementFileName(shop.name, range));
    sayBeside(beside, `已导出 ${lines.length} 笔（${range.from} 至 ${range.to}）`);
  });
  return null;
}


// What keeps a form's work from going out, or what came of it, is said beside the form, where the user is looking.
function sayBeside(id, message) {
  $(id).textContent = message;
  return null;
}

// A form's failure, said beside it; an ended session signs the user out.
function saidBeside(id) {
  return (error) => (SESSION_ENDED.has(error.status) ? showError(error) : sayBeside(id, error.message));
}

// A refusal thrown on in the user's words when ``problem`` (a pure module's code → words) has them: one they can put
// right or wait out.
function inWords(problem) {
  return (error) => {
    error.message = problem(error.code, error.details) || error.message;
    throw error;
  };
}
const inPrinterWords = inWords(printerProblem);
const inOnboardingWords = inWords(onboardingProblem);
const inLicenceWords = inWords(licencesProblem);
const inSettlementWords = inWords(settlementProblem);
const inCashWords = inWords(cashProblem);

function resetOrderForm() {
  $("order-form").reset();
  $("order-places").replaceChildren();
  $("order-result").textContent = "";
  state.places = [];
  delete state.attempts.order;
}

$("order-find").onclick = () => findPlaces().catch(saidBeside("order-result"));
$("order-form").onsubmit = (event) => placeOrder(event).catch(saidBeside("order-result"));
$("lookup").onsubmit = (event) => lookUp(event).catch(saidBeside("lookup-result"));
$("today-status").replaceChildren(
  new Option("选择状态…", ""),
  ...Object.entries(STATUS_LABELS).map(([status, label]) => new Option(label, status)),
);
$("today-status").onchange = () => watchToday()?.catch(saidBeside("lookup-result"));
$("found-more").onclick = () => moreFound().catch(saidBeside("lookup-result"));
const CHOICES = [
  ["unanswered", UNANSWERED_CHOICES],
  ["proof", PROOF_CHOICES],
  ["delivery-mode", MODE_CHOICES],
  ["printer-copies", COPIES_CHOICES],
  ["shop-search-standing", STANDINGS],
];
for (const [id, choices] of CHOICES) {
  $(id).replaceChildren(...Object.entries(choices).map(([value, label]) => new Option(label, value)));
}
$("area-template").content.querySelector('[data-field="shape"]').replaceChildren(
  ...Object.entries(SHAPE_CHOICES).map(([value, label]) => new Option(label, value)),
);
$("rider-vehicle").replaceChildren(...Object.entries(VEHICLES).map(([value, label]) => new Option(label, value)));
$("rider-status").onchange = () => showRiders().catch(showError);
$("riders-more").onclick = () => moreOf("riders").catch(showError);
$("rider-form").onsubmit = (event) => addRider(event).catch(saidBeside("rider-result"));
$("shop-application-status").onchange = () => showShopApplications().catch(showError);
$("shop-applications-more").onclick = () => moreOf("applications").catch(showError);
$("register-form").onsubmit = (event) => registerShop(event).catch(saidBeside("register-result"));
$("shop-search").onsubmit = (event) => searchShops(event).catch(saidBeside("shop-search-result"));
$("shop-search-standing").onchange = () => searchShops().catch(saidBeside("shop-search-result"));
$("shop-search-renewal").onchange = () => searchShops().catch(saidBeside("shop-search-result"));
$("shops-more").onclick = () => moreOf("shops").catch(showError);
$("accounts-more").onclick = () => moreOf("accounts").catch(showError);
$("payout-form").onsubmit = (event) => recordPayout(event).catch(saidBeside("payout-result"));
$("payout-cancel").onclick = closePayout;
$("payout-history-close").onclick = closePayouts;
$("apply-form").onsubmit = (event) => applyForShop(event).catch(saidBeside("apply-result"));
$("apply-sign-in").onclick = () => signOut("");
$("settings").ontoggle = () => $("settings").open && state.shop && fillSettings();
$("settings-form").onsubmit = (event) => saveSettings(event).catch(saidBeside("settings-result"));
$("shop-licences").ontoggle = () =>
  $("shop-licences").open && state.merchantId && readLicences().catch(saidBeside("licences-result"));
$("licences-form").onsubmit = (event) => renewLicences(event).catch(saidBeside("licences-result"));
$("hours-always").onchange = () => ($("hours-days").disabled = $("hours-always").checked);
$("delivery").ontoggle = () =>
  $("delivery").open && state.merchantId && openDelivery().catch(saidBeside("delivery-result"));
$("delivery-form").onsubmit = (event) => saveDelivery(event).catch(saidBeside("delivery-result"));
$("delivery-mode").onchange = showDeliveryChoices;
$("carrier-fallback").onchange = showDeliveryChoices;
$("area-add").onclick = addArea;
$("printer").ontoggle = () =>
  $("printer").open && state.merchantId && readPrinter({ fill: true }).catch(saidBeside("printer-result"));
$("printer-form").onsubmit = (event) => savePrinter(event).catch(saidBeside("printer-result"));
$("printer-sn").oninput = showPrinterSubmit;
$("printer-refresh").onclick = () => readPrinter({ fill: false }).catch(saidBeside("printer-result"));
$("printer-unbind").onclick = () => unbindPrinter().catch(saidBeside("printer-result"));
$("export").ontoggle = () => $("export").open && fillExportDays();
$("export-form").onsubmit = (event) => exportOrders(event).catch(saidBeside("export-result"));
$("settlement").ontoggle = () =>
  $("settlement").open && state.merchantId && openSettlement().catch(saidBeside("settlement-result"));
$("settlement-form").onsubmit = (event) => readSettlement(event).catch(saidBeside("settlement-result"));
$("settlement-lines-more").onclick = () => moreLines().catch(saidBeside("settlement-result"));
$("settlement-export").onclick = () => exportStatement().catch(saidBeside("settlement-export-result"));
$("dish-form").onsubmit = (event) => saveDish(event).catch(saidBeside("dish-result"));
$("dish-cancel").onclick = () => resetDishForm();
$("dish-new-category").onclick = () => newCategory().catch(saidBeside("dish-result"));
$("sign-in").onsubmit = (event) => signIn(event).catch((error) => ($("error").textContent = error.message));
$("read").onclick = () => markRead().catch(showError);
$("more").onclick = () => more().catch(showError);
$("today-more").onclick = () => moreOrders().catch(showError);
$("eleme-bind").onclick = () => bindElemeShops().catch(showError);
if (state.token) showView().catch(() => sessionStorage.removeItem("token"));

// The console's phone and walk-in orders: the places an address may be (GET /merchants/{merchantId}/delivery/places)
// made ready to pick, and the order the form describes made into POST /merchants/{merchantId}/orders's body, or
// what is wrong with it. Pure functions (no DOM, no fetch), so that tests/console runs them under node.

const MAX_QUANTITY = 99; // the API's bound on one line

/** One place as the merchant picks among them: where, how far from the store, and whether the store delivers there. */
export function placeRow(place) {
  const distance = place.distance_m < 1000 ? `${place.distance_m} 米` : `${(place.distance_m / 1000).toFixed(1)} 公里`;
  return {
    label: `${place.formatted_address} · ${distance}${place.deliverable ? "" : " · 不在配送范围"}`,
    deliverable: place.deliverable,
  };
}

/** A phone number as people say it (138 0000 0000, +86 138-0000-0000) in E.164; null if it is not one. */
export function e164(text) {
  const digits = (text ?? "").replace(/[\s-]/g, "");
  if (/^1\d{10}$/.test(digits)) return `+86${digits}`;
  return /^\+[1-9]\d{6,14}$/.test(digits) ? digits : null;
}

/**
 * The request body of the order the form describes, or the first thing the merchant must put right:
 * ``{ body }`` or ``{ error }``. ``form``: channel, payment, name, phone, place (the picked one), room (门牌、楼层),
 * note, and quantities (product id → what was typed).
 */
export function orderBody(form) {
  const items = [];
  for (const [productId, typed] of Object.entries(form.quantities)) {
    const text = (typed ?? "").trim();
    if (text === "" || text === "0") continue;
    if (!/^\d+$/.test(text) || Number(text) > MAX_QUANTITY) return { error: `数量须为 0 到 ${MAX_QUANTITY} 的整数。` };
    items.push({ product_id: productId, quantity: Number(text) });
  }
  if (!items.length) return { error: "请至少选一个菜品。" };
  const name = (form.name ?? "").trim();
  if (!name) return { error: "请填写顾客称呼。" };
  const phone = e164(form.phone);
  if (!phone) return { error: "电话号码不对：手机号 11 位，或带国家码（+86…）。" };
  if (!form.place) return { error: "请先查找地址并选中一个。" };
  const detail = [form.place.formatted_address, (form.room ?? "").trim()].filter(Boolean).join(" ");
  const note = (form.note ?? "").trim();
  return {
    body: {
      channel: form.channel,
      payment: form.payment,
      items,
      address: { lat: form.place.lat, lng: form.place.lng, detail, contact_name: name, contact_phone: phone },
      ...(note ? { note } : {}),
    },
  };
}

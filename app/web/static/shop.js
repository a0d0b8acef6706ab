// The shop facts page: save with If-Match; errors by field; a lost race reloads or merges.
"use strict";
(() => {
  const { api, toast, format, el, data } = kefu;
  const config = data("page-data");
  const T = config.strings;
  const $ = (id) => document.getElementById(id);
  let base = config.shop;
  let version = config.version;


  function pairs(text) {
    const out = {};
    for (const line of text.split("\n")) {
      const at = line.indexOf(":");
      if (at > 0 && line.slice(at + 1).trim()) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return out;
  }
  const unpairs = (obj) => Object.entries(obj || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
  const number = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));

  function read() {
    return {
      ...base,
      name: $("name").value, agent: $("agent").value,
      name_localized: pairs($("name_localized").value), agent_localized: pairs($("agent_localized").value),
      currency: $("currency").value.trim().toUpperCase(),
      free_shipping_threshold: number("free_shipping_threshold"),
      return_days: number("return_days"), busy_queue_threshold: number("busy_queue_threshold"),
      default_tone: $("default_tone").value, default_locale: $("default_locale").value,
      business_hours: {
        ...base.business_hours,
        timezone: $("timezone").value.trim(), open: $("open").value, close: $("close").value,
        days: [...document.querySelectorAll('input[name="days"]:checked')].map((c) => c.value),
      },
    };
  }

  function fill(shop) {
    for (const id of ["name", "agent", "currency", "default_tone", "default_locale"]) $(id).value = shop[id];
    for (const id of ["free_shipping_threshold", "return_days", "busy_queue_threshold"]) $(id).value = shop[id] === null ? "" : shop[id];
    $("name_localized").value = unpairs(shop.name_localized);
    $("agent_localized").value = unpairs(shop.agent_localized);
    $("timezone").value = shop.business_hours.timezone;
    $("open").value = String(shop.business_hours.open).slice(0, 5);
    $("close").value = String(shop.business_hours.close).slice(0, 5);
    for (const box of document.querySelectorAll('input[name="days"]')) box.checked = shop.business_hours.days.includes(box.value);
  }

  const banner = (kind, ...content) => $("banner").replaceChildren(el("div", { class: `banner ${kind}` }, ...content));
  function clearErrors() {
    for (const p of document.querySelectorAll(".field-error")) p.textContent = "";
    for (const f of document.querySelectorAll(".invalid")) f.classList.remove("invalid");
  }
  const headers = () => ({ "If-Match": `"${version}"` });  // the author is who signed in

  async function save(event) {
    if (event) event.preventDefault();
    clearErrors();
    const answer = await api("PUT", "/v1/library/shop", read(), headers());
    if (answer.ok) return saved(answer.body, format(T.saved, { version: answer.body.version }));
    const error = (answer.body && answer.body.error) || { message: String(answer.status), details: [] };
    if (answer.status === 412) return conflicted(error);
    if (answer.status === 422) {
      const broken = (error.details || []).filter((d) => d.template);
      if (broken.length) {
        return banner("bad", T.breaks, el("ul", {}, broken.slice(0, 10).map((d) => el("li", {}, `${d.template} [${d.locale}/${d.tone}]: ${d.problem}`))));
      }
      for (const d of error.details || []) {
        const path = String(d.field || "").split(".");
        const key = path[0] === "business_hours" ? path[1] : path[0];
        const p = document.querySelector(`[data-error="${CSS.escape(key || "")}"]`);
        if (p) {
          p.textContent = d.problem;
          if ($(key)) $(key).classList.add("invalid");
        }
      }
      return banner("bad", T.invalid);
    }
    banner("bad", format(T.error, { message: error.message }));
  }

  function saved(stored, message) {
    base = stored.shop;
    version = stored.version;
    fill(base);
    banner("ok", message);
    toast(message);
    loadHistory();
  }

  function conflicted(error) {
    const d = (error.details && error.details[0]) || {};
    const reload = el("button", { type: "button", class: "reload" }, T.reload);
    reload.addEventListener("click", () => location.reload());
    const merge = el("button", { type: "button", class: "merge primary" }, T.merge);
    merge.addEventListener("click", mergeTheirs);
    banner("warn", el("p", {}, format(T.conflict, { who: d.updated_by || "?", version: d.current_version || "?" })), el("p", {}, merge, " ", reload));
  }

  // Field by field, as in the template editor: only-mine is mine, only-theirs is theirs.
  async function mergeTheirs() {
    const answer = await api("GET", "/v1/library/shop");
    if (!answer.ok) return;
    const theirs = answer.body.shop;
    const mine = read();
    const flat = (s) => ({ ...s, ...Object.fromEntries(Object.entries(s.business_hours).map(([k, v]) => [`hours.${k}`, v])), business_hours: undefined });
    const [b, m, t] = [flat(base), flat(mine), flat(theirs)];
    const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
    const merged = {};
    const clashes = [];
    for (const key of Object.keys(m)) {
      if (same(m[key], b[key])) merged[key] = t[key];
      else if (same(t[key], b[key]) || same(t[key], m[key])) merged[key] = m[key];
      else { merged[key] = m[key]; clashes.push(key); }
    }
    const shop = { ...theirs, business_hours: { ...theirs.business_hours } };
    for (const [key, value] of Object.entries(merged)) {
      if (key === "business_hours") continue;
      if (key.startsWith("hours.")) shop.business_hours[key.slice(6)] = value;
      else shop[key] = value;
    }
    base = theirs;
    version = answer.body.version;
    fill(shop);
    banner("warn", format(T.merged, { version }), clashes.length ? el("p", {}, format(T.merge_clash, { fields: clashes.join(", ") })) : null);
  }

  async function loadHistory() {
    const answer = await api("GET", "/v1/library/shop/history");
    if (!answer.ok) return;
    const entries = [...answer.body].sort((a, b) => b.version - a.version);
    $("history").replaceChildren(...entries.map((e) => {
      const back = el("button", { type: "button", class: "rollback" }, T.rollback);
      back.hidden = e.version === version;
      back.addEventListener("click", async () => {
        const r = await api("POST", "/v1/library/shop/rollback", { version: e.version }, headers());
        if (r.ok) saved(r.body, format(T.rolled_back, { version: e.version }));
        else if (r.status === 412) conflicted(r.body.error);
        else banner("bad", format(T.error, { message: r.body ? r.body.error.message : r.status }));
      });
      return el("div", { class: "history-entry" }, el("strong", {}, `v${e.version}`), " · ", e.author, " · ",
        new Date(e.created_at).toLocaleString(document.documentElement.lang), " · ", e.message, el("div", { class: "actions" }, back));
    }));
  }

  $("shop-form").addEventListener("submit", save);
  loadHistory();
})();

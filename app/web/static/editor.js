// The template editor: locales side by side, live preview, try, save with If-Match,
// conflicts reported with reload or merge, history with diffs and rollback, delete and
// restore. On an unsaved draft (/library/new) the first save creates the template.
"use strict";
(() => {
  const { api, toast, format, el, data } = kefu;
  const config = data("page-data");
  const T = config.strings;
  const TONES = config.tone_order;
  const $ = (id) => document.getElementById(id);
  const id = config.template.id;
  const url = `/v1/library/templates/${encodeURIComponent(id)}`;

  let base = config.template;   // the saved version this draft started from (for merging)
  let version = config.version;
  let needsReview = config.needs_review;
  let isNew = config.new;
  let deleted = config.deleted;
  let dirty = false;
  let previewTimer = 0;
  let previewSequence = 0;

  const isRtl = (tag) => config.rtl.includes(String(tag).split("-")[0]);
  const localeName = (tag) => config.locale_names[tag] || tag;
  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
  const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

  $("variable-names").replaceChildren(...Object.keys(config.variables).map((v) => el("option", { value: v }, config.variables[v])));
  $("variable-hint").textContent = Object.entries(config.variables).map(([k, v]) => `${k} (${v})`).join(" · ");

  // ---- building the form from a template -------------------------------------------

  function build(template) {
    $("title").value = template.title;
    $("variables").value = (template.variables || []).join(", ");
    const known = config.locale_order.filter((loc) => loc in template.replies);
    const locales = [...known, ...Object.keys(template.replies).filter((loc) => !known.includes(loc))];
    const grid = $("locales");
    grid.replaceChildren(...locales.map((loc) => column(loc, template)));
    refreshAddLocale();
    markDirty(false);
    schedulePreview();
  }

  function column(loc, template) {
    const replies = template.replies[loc] || {};
    const triggers = (template.triggers || {})[loc] || { examples: [], keywords: [] };
    const stale = needsReview.includes(loc);
    const confirm = stale ? el("button", { type: "button", class: "confirm" }, T.confirm) : null;
    if (confirm) confirm.addEventListener("click", () => confirmLocale(loc));
    const remove = el("button", { type: "button", class: "remove", title: T.remove_locale, "aria-label": T.remove_locale }, "×");
    remove.addEventListener("click", () => { node.remove(); refreshAddLocale(); changed(); });
    const tones = TONES.map((tone) => {
      const fieldId = `reply-${loc}-${tone}`;
      const area = el("textarea", { id: fieldId, "data-locale": loc, "data-tone": tone, dir: isRtl(loc) ? "rtl" : "auto", lang: loc });
      area.value = replies[tone] || "";
      area.addEventListener("input", changed);
      return el("div", { class: "tone" },
        el("label", { for: fieldId }, config.tones[tone]),
        area,
        el("p", { class: "field-error", "data-error": `${loc}/${tone}` }),
        el("div", { class: "preview", "data-preview": `${loc}/${tone}`, dir: isRtl(loc) ? "rtl" : "auto", lang: loc }));
    });
    const examples = el("textarea", { "data-examples": loc, rows: 4, dir: "auto" });
    examples.value = triggers.examples.join("\n");
    const keywords = el("input", { type: "text", "data-keywords": loc, dir: "auto", class: "wide" });
    keywords.value = triggers.keywords.join(", ");
    examples.addEventListener("input", changed);
    keywords.addEventListener("input", changed);
    const node = el("section", { class: "locale-col", "data-locale": loc },
      el("h3", {}, localeName(loc), stale ? el("span", { class: "chip warn", title: T.stale }, `! ${T.stale}`) : null, confirm, remove),
      tones,
      el("details", {}, el("summary", {}, T.triggers),
        el("label", {}, T.examples, examples), el("label", {}, T.keywords, keywords)));
    return node;
  }

  function refreshAddLocale() {
    const present = new Set([...document.querySelectorAll(".locale-col")].map((n) => n.dataset.locale));
    $("add-locale").replaceChildren(...config.locales.filter((l) => !present.has(l)).map((l) => el("option", { value: l }, localeName(l))));
  }

  $("add-locale-button").addEventListener("click", () => {
    const loc = $("add-locale").value;
    if (!loc) return;
    $("locales").append(column(loc, { replies: {}, triggers: {} }));
    refreshAddLocale();
    changed();
  });

  // ---- reading the form back --------------------------------------------------------

  function draft() {
    const replies = {};
    const triggers = {};
    for (const col of document.querySelectorAll(".locale-col")) {
      const loc = col.dataset.locale;
      const texts = {};
      for (const area of col.querySelectorAll("textarea[data-tone]")) if (area.value.trim()) texts[area.dataset.tone] = area.value;
      if (Object.keys(texts).length) replies[loc] = texts;
      const examples = lines(col.querySelector("[data-examples]").value);
      const keywords = list(col.querySelector("[data-keywords]").value);
      if (examples.length || keywords.length) triggers[loc] = { examples, keywords };
    }
    return { ...base, title: $("title").value, variables: list($("variables").value), triggers, replies };
  }

  function changed() {
    markDirty(true);
    schedulePreview();
  }

  function markDirty(value) {
    dirty = value;
    $("dirty").hidden = !value;
  }
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = T.unsaved; } });
  $("title").addEventListener("input", changed);
  $("variables").addEventListener("input", changed);

  // ---- errors next to their fields ----------------------------------------------------

  function clearErrors() {
    for (const p of document.querySelectorAll(".field-error")) p.textContent = "";
    for (const f of document.querySelectorAll(".invalid")) f.classList.remove("invalid");
  }

  function fieldError(key, problem) {
    // key: "en/friendly" for a reply, "title", "variables"; returns whether a field took it.
    if (key.includes("/")) {
      const [loc, tone] = key.split("/");
      const p = document.querySelector(`[data-error="${CSS.escape(loc)}/${CSS.escape(tone)}"]`);
      const area = $(`reply-${loc}-${tone}`);
      if (!p) return false;
      p.textContent = problem;
      if (area) area.classList.add("invalid");
      return true;
    }
    const p = $(`${key}-error`);
    if (!p) return false;
    p.textContent = problem;
    $(key).classList.add("invalid");
    return true;
  }

  // The 422 body names locale/tone/problem (a save) or field/problem (the schema).
  function showProblems(error) {
    let placed = 0;
    for (const d of error.details || []) {
      if (d.locale && d.tone) placed += fieldError(`${d.locale}/${d.tone}`, d.problem) ? 1 : 0;
      else if (d.field) {
        const path = String(d.field).replace(/^template\./, "").split(".");
        if (path[0] === "replies" && path.length >= 3) placed += fieldError(`${path[1]}/${path[2]}`, d.problem) ? 1 : 0;
        else if (path[0] === "title" || path[0] === "variables") placed += fieldError(path[0], d.problem) ? 1 : 0;
      }
    }
    return placed;
  }

  function banner(kind, ...content) {
    $("banner").replaceChildren(el("div", { class: `banner ${kind}` }, ...content));
  }

  // ---- live preview -------------------------------------------------------------------

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 300);
  }

  async function preview() {
    const mine = ++previewSequence;
    const answer = await api("POST", "/v1/library/preview", { template: draft() });
    if (mine !== previewSequence) return;
    clearErrors();
    if (!answer.ok) {
      if (answer.body && answer.body.error) showProblems(answer.body.error);
      return;
    }
    for (const box of document.querySelectorAll("[data-preview]")) box.textContent = "";
    for (const item of answer.body) {
      const box = document.querySelector(`[data-preview="${CSS.escape(item.locale)}/${CSS.escape(item.tone)}"]`);
      if (!box) continue;
      if (item.problem) fieldError(`${item.locale}/${item.tone}`, format(T.preview_problem, { problem: item.problem }));
      else box.textContent = item.text;
    }
  }

  // ---- saving, conflicts and merging --------------------------------------------------

  function headers(extra) {
    return { "If-Match": `"${version}"`, ...(extra || {}) };  // the author is who signed in
  }

  async function save() {
    if (deleted) return;
    clearErrors();
    if (isNew) return create();
    const answer = await api("PUT", `${url}?message=${encodeURIComponent("edited in the library page")}`, draft(), headers());
    if (answer.ok) return saved(answer.body, format(T.saved, { version: answer.body.version }));
    refused(answer);
  }

  // The first save of a draft: POST, then this page is the template's own editor.
  async function create() {
    const template = draft();
    if (!Object.keys(template.replies).length) {
      const first = document.querySelector("textarea[data-tone]");
      if (first) fieldError(`${first.dataset.locale}/${first.dataset.tone}`, T.no_reply);
      return banner("bad", T.invalid);
    }
    const answer = await api("POST", `/v1/library/templates?message=${encodeURIComponent("created in the library page")}`, template);
    if (!answer.ok) return refused(answer);
    isNew = false;
    window.history.replaceState(null, "", `/library/${encodeURIComponent(id)}`);
    $("save").textContent = T.save;
    if ($("delete")) $("delete").hidden = false;
    $("history-heading").hidden = false;
    saved(answer.body, format(T.created, { version: answer.body.version }));
  }

  function refused(answer) {
    const error = (answer.body && answer.body.error) || { message: String(answer.status), details: [] };
    if (answer.status === 412) return conflicted(error);
    if (answer.status === 422) {
      showProblems(error);
      return banner("bad", T.invalid, el("br"), error.message);
    }
    banner("bad", format(T.save_failed, { message: error.message }));
  }

  function saved(stored, message) {
    base = stored.template;
    needsReview = stored.needs_review || [];
    build(base);
    $("heading").textContent = base.title;
    settled(stored, message);
  }

  // A change was accepted: the version it made, who made it, the history.
  function settled(stored, message) {
    version = stored.version;
    $("version-line").textContent = `${stored.template.id} · ${format(T.version_line, { version, who: stored.updated_by })}`;
    banner("ok", message);
    toast(message);
    loadHistory();
  }

  // ---- delete (soft) and restore -------------------------------------------------------

  function showDeleted(value) {
    deleted = value;
    $("deleted-note").hidden = !value;
    $("save").disabled = value;
    if ($("delete")) $("delete").hidden = value || isNew;
    if ($("restore")) $("restore").hidden = !value;
  }

  async function setDeleted(value) {
    const answer = value ? await api("DELETE", url, undefined, headers())
                         : await api("POST", `${url}/restore`, undefined, headers());
    if (!answer.ok) return refused(answer);
    showDeleted(value);
    settled(answer.body, format(value ? T.deleted : T.restored, { version: answer.body.version }));
  }

  const dialog = $("confirm-delete");
  if ($("delete")) {
    $("delete").addEventListener("click", () => {
      $("confirm-delete-text").textContent = format(T.confirm_delete, { title: base.title });
      dialog.showModal();
      $("cancel-delete").focus();
    });
    $("cancel-delete").addEventListener("click", () => dialog.close());
    $("confirm-delete-button").addEventListener("click", () => { dialog.close(); setDeleted(true); });
    $("restore").addEventListener("click", () => setDeleted(false));
  }

  function conflicted(error) {
    const d = (error.details && error.details[0]) || {};
    const reload = el("button", { type: "button", class: "reload" }, T.reload);
    reload.addEventListener("click", () => { markDirty(false); location.reload(); });
    const merge = el("button", { type: "button", class: "merge primary" }, T.merge);
    merge.addEventListener("click", mergeTheirs);
    banner("warn", el("p", { class: "conflict" }, format(T.conflict, { who: d.updated_by || "?", version: d.current_version || "?" })),
      el("p", { class: "actions" }, merge, " ", reload));
  }

  // Field by field: what only I changed is mine, what only they changed is theirs; where
  // both changed, mine is kept and named so the manager can look before saving.
  function flat(t) {
    const out = { title: t.title, variables: (t.variables || []).join(",") };
    for (const [loc, tones] of Object.entries(t.replies || {})) for (const [tone, text] of Object.entries(tones)) out[`replies|${loc}|${tone}`] = text;
    for (const [loc, trig] of Object.entries(t.triggers || {})) {
      out[`examples|${loc}`] = (trig.examples || []).join("\n");
      out[`keywords|${loc}`] = (trig.keywords || []).join(",");
    }
    return out;
  }

  function unflat(values, template) {
    const t = { ...template, title: values.title, variables: values.variables ? values.variables.split(",") : [], replies: {}, triggers: {} };
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined || value === "") continue;
      const [kind, loc, tone] = key.split("|");
      if (kind === "replies") (t.replies[loc] = t.replies[loc] || {})[tone] = value;
      if (kind === "examples") (t.triggers[loc] = t.triggers[loc] || { examples: [], keywords: [] }).examples = value.split("\n");
      if (kind === "keywords") (t.triggers[loc] = t.triggers[loc] || { examples: [], keywords: [] }).keywords = value.split(",");
    }
    return t;
  }

  async function mergeTheirs() {
    const answer = await api("GET", url);
    if (!answer.ok) return banner("bad", format(T.error, { message: answer.status }));
    const theirs = answer.body;
    const [b, m, t] = [flat(base), flat(draft()), flat(theirs.template)];
    const merged = {};
    const clashes = [];
    for (const key of new Set([...Object.keys(b), ...Object.keys(m), ...Object.keys(t)])) {
      if (m[key] === b[key]) merged[key] = t[key];
      else if (t[key] === b[key] || t[key] === m[key]) merged[key] = m[key];
      else { merged[key] = m[key]; clashes.push(key.replaceAll("|", " ")); }
    }
    base = theirs.template;
    version = theirs.version;
    needsReview = theirs.needs_review || [];
    build(unflat(merged, theirs.template));
    markDirty(true);
    banner("warn", format(T.merged, { version }), clashes.length ? el("p", { class: "clashes" }, format(T.merge_clash, { fields: clashes.join(", ") })) : null);
  }

  async function confirmLocale(loc) {
    const answer = await api("POST", `${url}/review`, { locales: [loc] }, headers());
    if (answer.ok) {
      version = answer.body.version;
      needsReview = answer.body.needs_review || [];
      const head = document.querySelector(`.locale-col[data-locale="${CSS.escape(loc)}"] h3`);
      for (const n of head.querySelectorAll(".chip, .confirm")) n.remove();
      toast(T.confirmed);
      loadHistory();
    } else if (answer.status === 412) conflicted(answer.body.error);
    else banner("bad", format(T.error, { message: answer.body ? answer.body.error.message : answer.status }));
  }

  // ---- try ------------------------------------------------------------------------------

  $("try-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("try-message").value;
    if (!message.trim()) return;
    const out = $("try-result");
    const answer = await api("POST", "/v1/library/try", { message, template: draft(), limit: 3 });
    if (!answer.ok) {
      out.replaceChildren(el("p", { class: "error" }, format(T.error, { message: answer.body ? answer.body.error.message : answer.status })));
      return;
    }
    const v = answer.body.draft;
    out.replaceChildren(el("div", { class: `verdict banner ${v.suggested ? "ok" : "warn"}` },
      el("p", {}, v.suggested ? format(T.try_suggested, { rank: v.rank, confidence: `${Math.round(v.confidence * 100)}%` })
                              : format(T.try_not, { reason: v.reason })),
      v.text ? el("p", { class: "reply", dir: isRtl(v.locale || "") ? "rtl" : "auto", lang: v.locale || "" }, v.text) : null,
      v.problem ? el("p", { class: "error" }, v.problem) : null));
  });

  // ---- history --------------------------------------------------------------------------

  async function loadHistory() {
    if (isNew) return;
    const answer = await api("GET", `${url}/history`);
    if (!answer.ok) return;
    const entries = [...answer.body].sort((a, b) => b.version - a.version);
    $("history").replaceChildren(...entries.map((e) => {
      const diffBox = el("pre", { class: "diff", hidden: true });
      const show = el("button", { type: "button", class: "show-diff" }, T.diff);
      show.disabled = e.version === 1;
      show.addEventListener("click", async () => {
        const d = await api("GET", `${url}/diff?from=${e.version - 1}&to=${e.version}`);
        if (!d.ok) return;
        diffBox.replaceChildren(...d.body.diff.split("\n").filter((l) => !l.startsWith("---") && !l.startsWith("+++"))
          .map((l) => el("span", { class: l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "" }, `${l}\n`)));
        diffBox.hidden = !diffBox.hidden;
      });
      const back = el("button", { type: "button", class: "rollback" }, T.rollback);
      back.hidden = e.version === version;
      back.addEventListener("click", async () => {
        const r = await api("POST", `${url}/rollback`, { version: e.version }, headers());
        if (r.ok) saved(r.body, format(T.rolled_back, { version: e.version }));
        else if (r.status === 412) conflicted(r.body.error);
        else banner("bad", format(T.error, { message: r.body ? r.body.error.message : r.status }));
      });
      return el("div", { class: "history-entry", "data-version": e.version },
        el("strong", {}, `v${e.version}`), " · ", e.author, " · ", new Date(e.created_at).toLocaleString(document.documentElement.lang), " · ", e.message,
        el("div", { class: "actions" }, show, back), diffBox);
    }));
  }

  $("save").addEventListener("click", save);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); }
  });
  build(base);
  loadHistory();
})();

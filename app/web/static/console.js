// The agent console: paste, Enter, a digit. Everything it shows is set as text.
"use strict";
(() => {
  const { api, toast, format, el, data, copy } = kefu;
  const config = data("console-data");
  const T = config.strings;
  const form = document.getElementById("ask-form");
  const message = document.getElementById("message");
  const localeSelect = document.getElementById("locale");
  const toneSelect = document.getElementById("tone");
  const busy = document.getElementById("busy");
  const summary = document.getElementById("summary");
  const results = document.getElementById("results");

  let asked = "";        // the message the shown suggestions answer
  let language = "und";  // its detected language
  let values = {};       // variables the agent typed, shared by every card
  let cards = [];        // {suggestion, text, node, reply, inputs}
  let sequence = 0;      // answers to older requests are dropped

  const isRtl = (tag) => config.rtl.includes(String(tag).split("-")[0]);
  const percent = (x) => `${Math.round(x * 100)}%`;
  const localeName = (tag) => config.locale_names[tag] || tag;
  const toneName = (tone) => config.tones[tone] || tone;

  async function suggest() {
    const text = message.value;
    if (!text.trim()) return;
    if (text !== asked) values = {}; // another buyer: never carry an order number over
    const body = { message: text, limit: 3, context: { busy: busy.checked } };
    if (localeSelect.value) body.locale = localeSelect.value;
    if (toneSelect.value) body.tone = toneSelect.value;
    const mine = ++sequence;
    let answer;
    try {
      answer = await api("POST", "/v1/suggest", body);
    } catch (e) {
      toast(T.offline);
      return;
    }
    if (mine !== sequence) return;
    if (!answer.ok) {
      showError(answer);
      return;
    }
    asked = text;
    show(answer.body);
    for (const card of cards) if (card.suggestion.missing_variables.some((v) => values[v])) refill(card);
    results.focus({ preventScroll: true });
  }

  function showError(answer) {
    const error = answer.body && answer.body.error;
    summary.hidden = true;
    results.replaceChildren(el("p", { class: "banner bad", role: "alert" },
      format(T.error, { message: error ? error.message : answer.status })));
  }

  function show(result) {
    language = result.language.code;
    summary.hidden = false;
    summary.replaceChildren(
      el("span", {}, format(T.language, { language: localeName(language) })),
      el("span", {}, format(T.tone, { buyer: config.buyer_tones[result.tone.buyer] || result.tone.buyer, reply: toneName(result.tone.reply) })),
    );
    cards = [];
    const blocks = [];
    if (result.suggestions.length) {
      result.suggestions.forEach((s) => blocks.push(card(s)));
      blocks.push(el("p", { class: "after" }, T.none_fit, sendButton()));
    }
    if (result.no_match) {
      const guesses = result.no_match.guesses.map((s) => card(s));
      blocks.push(el("section", { class: "nomatch", "aria-labelledby": "no-match-title" },
        el("h2", { id: "no-match-title" }, T.no_match),
        el("p", {}, sendButton()),
        guesses.length ? el("p", { class: "muted" }, T.guesses) : el("p", { class: "muted" }, T.no_guesses),
        el("div", { class: "results" }, guesses)));
    }
    results.replaceChildren(...blocks);
  }

  function sendButton() {
    const button = el("button", { type: "button", class: "send-unmatched" }, T.send_unmatched);
    button.addEventListener("click", async () => {
      button.disabled = true;
      const answer = await api("POST", "/v1/unmatched", { message: asked, language });
      if (answer.ok) {
        button.textContent = T.sent_unmatched;
        toast(T.sent_unmatched);
      } else {
        button.disabled = false;
        showErrorToast(answer);
      }
    });
    return button;
  }

  function showErrorToast(answer) {
    const error = answer.body && answer.body.error;
    toast(format(T.error, { message: error ? error.message : answer.status }));
  }

  function card(s) {
    const n = cards.length + 1;
    const state = { suggestion: s, text: s.text, inputs: {} };
    // Agents may touch a reply up before copying it; that is reported as "edited".
    const reply = el("p", { class: "reply", lang: s.locale, dir: isRtl(s.locale) ? "rtl" : "ltr",
      contenteditable: "plaintext-only", spellcheck: "false", "aria-label": T.edit_hint }, s.text);
    reply.addEventListener("input", () => { state.edited = true; state.text = reply.innerText; });
    const chips = [
      el("span", { class: "chip" }, s.category),
      el("span", { class: "chip" }, localeName(s.locale)),
      el("span", { class: "chip" }, toneName(s.tone)),
      s.matched ? el("span", { class: "chip" }, format(T.confidence, { score: percent(s.score) })) : null,
      s.low_confidence ? el("span", { class: "chip warn" }, T.low_confidence) : null,
      s.locale_match === "fallback"
        ? el("span", { class: "chip warn" }, format(T.locale_fallback, { locale: localeName(s.locale) })) : null,
      s.tone_fallback ? el("span", { class: "chip warn" }, format(T.tone_fallback, { tone: toneName(s.tone) })) : null,
    ];
    const vars = s.missing_variables.map((name) => variableField(state, name));
    const why = s.matched
      ? el("details", {}, el("summary", {}, T.why),
          el("p", {}, format(T.matched, { ask: s.matched.ask, trigger: s.matched.trigger || "", similarity: percent(s.matched.similarity) })),
          s.matched.keywords.length ? el("p", {}, format(T.keywords, { keywords: s.matched.keywords.join(", ") })) : null)
      : el("p", { class: "muted" }, T.busy_reply);
    const copyButton = el("button", { type: "button", class: "primary copy", "aria-keyshortcuts": String(n) },
      `${T.copy} `, el("kbd", {}, String(n)));
    copyButton.addEventListener("click", () => use(state, n));
    const dismiss = el("button", { type: "button", class: "dismiss" }, T.dismiss);
    dismiss.addEventListener("click", async () => {
      await api("POST", "/v1/feedback", { template_id: s.template_id, action: "dismissed", locale: s.locale, tone: s.tone });
      state.node.classList.add("muted");
      toast(T.dismissed);
    });
    state.reply = reply;
    state.node = el("article", { class: `card${s.low_confidence ? " low" : ""}`, "data-template": s.template_id },
      el("header", {}, el("span", { class: "key" }, String(n)), el("span", { class: "title" }, s.title), chips),
      reply,
      vars.length ? el("div", { class: "vars" }, vars) : null,
      el("div", { class: "actions" }, copyButton, dismiss),
      why);
    cards.push(state);
    return state.node;
  }

  function variableField(state, name) {
    const definition = config.variables[name] || { type: "text", label: name };
    const type = definition.type === "date" ? "date" : "text";
    const input = el("input", { type, name, value: values[name] || "", "data-variable": name,
      inputmode: definition.type === "number" || definition.type === "money" ? "decimal" : null });
    const problem = el("span", { class: "field-error", role: "alert" });
    input.addEventListener("input", () => {
      values[name] = input.value;
      for (const other of cards) {
        if (other.inputs[name] && other.inputs[name].input !== input) other.inputs[name].input.value = input.value;
        if (other.suggestion.missing_variables.includes(name)) schedule(other);
      }
    });
    state.inputs[name] = { input, problem };
    return el("label", {}, definition.label, input, problem);
  }

  function schedule(state) {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => refill(state), 120);
  }

  // Render the card again with the typed values (the server formats money and dates).
  async function refill(state) {
    const s = state.suggestion;
    const given = {};
    for (const name of s.missing_variables) if (values[name]) given[name] = values[name];
    const mine = (state.sequence = (state.sequence || 0) + 1);
    const answer = await api("POST", "/v1/render", { template_id: s.template_id, locale: s.locale, tone: s.tone, variables: given });
    if (mine !== state.sequence) return;
    for (const { problem } of Object.values(state.inputs)) problem.textContent = "";
    if (answer.ok && state.edited) return; // never overwrite what the agent wrote
    if (answer.ok) {
      state.text = answer.body.text;
      state.reply.textContent = state.text;
      return;
    }
    const error = answer.body && answer.body.error;
    const field = error && error.details && error.details[0] && error.details[0].field;
    const name = field ? String(field).replace(/^variables\./, "") : "";
    if (state.inputs[name]) state.inputs[name].problem.textContent = error.details[0].problem;
    else showErrorToast(answer);
  }

  async function use(state, n) {
    const s = state.suggestion;
    try {
      await copy(state.text);
    } catch (e) {
      toast(format(T.error, { message: e.message }));
      return;
    }
    toast(format(T.copied, { n }));
    const action = state.edited ? "edited" : "used";
    api("POST", "/v1/feedback", { template_id: s.template_id, action, locale: s.locale, tone: s.tone });
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); suggest(); });
  for (const control of [localeSelect, toneSelect, busy]) control.addEventListener("change", () => { if (asked) suggest(); });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target === message && event.key === "Enter" && !event.shiftKey && !event.isComposing
        && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      suggest();
      return;
    }
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (/^[1-9]$/.test(event.key) && cards[Number(event.key) - 1]) {
      event.preventDefault();
      use(cards[Number(event.key) - 1], Number(event.key));
    } else if (event.key === "/" || event.key === "Escape") {
      event.preventDefault();
      message.focus();
      message.select();
    }
  });
})();

// The categories page: create, rename and describe (If-Match), delete an empty one,
// restore. After each change the tables are fetched again from the server.
"use strict";
(() => {
  const { api, toast, format, el, data, refresh } = kefu;
  const T = data("page-data").strings;
  const $ = (id) => document.getElementById(id);
  const TABLES = ["categories", "deleted-categories"];
  const url = (id) => `/v1/library/categories/${encodeURIComponent(id)}`;
  const problem = (answer) => (answer.body && answer.body.error) || { message: String(answer.status), details: [] };

  function rowOf(id) {
    return document.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
  }

  async function done(id, text) {
    await refresh(TABLES);
    const row = rowOf(id);
    if (row && row.querySelector(".row-message")) row.querySelector(".row-message").textContent = text;
    toast(text);
  }

  function say(row, ...content) {
    row.querySelector(".row-message").replaceChildren(...content);
  }

  // A 412 names who saved which version; reloading shows theirs (nothing was overwritten).
  function refused(row, answer) {
    const error = problem(answer);
    if (answer.status === 412) {
      const d = (error.details && error.details[0]) || {};
      const reload = el("button", { type: "button", class: "reload" }, T.reload);
      reload.addEventListener("click", () => refresh(TABLES));
      return say(row, format(T.conflict, { who: d.updated_by || "?", version: d.current_version || "?" }), " ", reload);
    }
    say(row, format(T.not_saved, { message: error.message }));
  }

  async function change(row, method, path, body, message) {
    say(row);
    const answer = await api(method, path, body, { "If-Match": `"${row.dataset.version}"` });
    if (!answer.ok) return refused(row, answer);
    done(row.dataset.id, message(answer.body));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const row = button && button.closest("tr[data-id]");
    if (!row) return;
    const id = row.dataset.id;
    if (button.classList.contains("save")) {
      const body = { title: row.querySelector(".title").value, description: row.querySelector(".description").value };
      change(row, "PATCH", url(id), body, (c) => format(T.saved, { version: c.version }));
    } else if (button.classList.contains("delete")) {
      change(row, "DELETE", url(id), undefined, () => format(T.deleted, { id }));
    } else if (button.classList.contains("restore")) {
      change(row, "POST", `${url(id)}/restore`, undefined, () => format(T.restored, { id }));
    }
  });

  const form = $("category-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
      $("banner").replaceChildren();
      const body = { id: form.elements.id.value.trim(), title: form.elements.title.value, description: form.elements.description.value };
      const answer = await api("POST", "/v1/library/categories", body);
      if (answer.ok) {
        form.reset();
        return done(body.id, format(T.created, { id: body.id }));
      }
      const error = problem(answer);
      let placed = 0;
      for (const d of error.details || []) {
        const p = form.querySelector(`[data-error="${CSS.escape(String(d.field || "").split(".")[0])}"]`);
        if (p) { p.textContent = d.problem; placed += 1; }
      }
      if (answer.status === 409) { form.querySelector('[data-error="id"]').textContent = error.message; placed += 1; }
      if (!placed) $("banner").replaceChildren(el("div", { class: "banner bad" }, format(T.not_saved, { message: error.message })));
    });
  }
})();

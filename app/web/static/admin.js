// The admin page: accounts (create, role, disable/enable, unlock, one-time password) and
// API keys (create, shown once with a copy button; revoke). Lists are re-fetched after
// each change; a new password or key is shown once, above them, and never again.
"use strict";
(() => {
  const { api, toast, format, el, data, copy, refresh } = kefu;
  const T = data("page-data").strings;
  const $ = (id) => document.getElementById(id);
  const problem = (answer) => (answer.body && answer.body.error) || { message: String(answer.status), details: [] };

  function showSecret(label, value) {
    $("secret-label").textContent = label;
    $("secret-value").textContent = value;
    $("secret").hidden = false;
    $("secret").scrollIntoView({ block: "nearest" });
  }
  $("copy-secret").addEventListener("click", async () => {
    await copy($("secret-value").textContent);
    toast(T.copied);
  });

  // 20 characters from 64 (256 is a multiple of 64: no bias), about 120 random bits.
  function onetimePassword() {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return [...crypto.getRandomValues(new Uint8Array(20))].map((b) => alphabet[b % 64]).join("");
  }

  // Problems of a form's fields next to them; the rest in the banner.
  function formProblems(form, answer) {
    const error = problem(answer);
    let placed = 0;
    for (const d of error.details || []) {
      const p = form.querySelector(`[data-error="${CSS.escape(String(d.field || "").split(".")[0])}"]`);
      if (p) { p.textContent = d.problem; placed += 1; }
    }
    const field = String(error.message).split(":")[0];
    const p = form.querySelector(`[data-error="${CSS.escape(field)}"]`);
    if (!placed && p) { p.textContent = error.message; placed += 1; }
    if (!placed) $("banner").replaceChildren(el("div", { class: "banner bad" }, format(T.not_saved, { message: error.message })));
  }

  function clearForm(form) {
    for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
    $("banner").replaceChildren();
  }

  function rowMessage(selector, text) {
    const row = document.querySelector(selector);
    if (row) row.querySelector(".row-message").textContent = text;
  }

  // ---- accounts ---------------------------------------------------------------------------

  const userUrl = (name) => `/v1/admin/users/${encodeURIComponent(name)}`;
  const userRow = (name) => `#users tr[data-name="${CSS.escape(name)}"]`;

  async function changeUser(row, body, secret) {
    const name = row.dataset.name;
    row.querySelector(".row-message").textContent = "";
    const answer = await api("PATCH", userUrl(name), body);
    if (!answer.ok) {
      await refresh(["users"]);
      return rowMessage(userRow(name), format(T.not_saved, { message: problem(answer).message }));
    }
    if (secret) showSecret(format(T.password_once, { name }), secret);
    await refresh(["users"]);
    const text = format(T.changed_user, { name });
    rowMessage(userRow(name), text);
    toast(text);
  }

  document.addEventListener("change", (event) => {
    const select = event.target.closest("#users select.role");
    if (select) changeUser(select.closest("tr"), { role: select.value });
  });

  $("user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    clearForm(form);
    const name = form.elements.name.value.trim();
    const body = { name, role: form.elements.role.value };
    if (form.elements.password.value) body.password = form.elements.password.value;
    const answer = await api("POST", "/v1/admin/users", body);
    if (!answer.ok) return formProblems(form, answer);
    form.reset();
    form.closest("details").open = false;
    if (answer.body.password) showSecret(format(T.new_password, { name }), answer.body.password);
    await refresh(["users"]);
    toast(format(T.created_user, { name }));
  });

  // ---- keys -------------------------------------------------------------------------------

  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    clearForm(form);
    const body = {
      name: form.elements.name.value.trim(),
      scopes: [...form.querySelectorAll('input[name="scopes"]:checked')].map((c) => c.value),
      origins: form.elements.origins.value.split("\n").map((s) => s.trim()).filter(Boolean),
    };
    const answer = await api("POST", "/v1/admin/keys", body);
    if (!answer.ok) return formProblems(form, answer);
    form.reset();
    form.closest("details").open = false;
    showSecret(format(T.key_once, { name: body.name }), answer.body.key);
    await refresh(["keys"]);
  });

  const dialog = $("confirm-revoke");
  let revoking = null;
  $("cancel-revoke").addEventListener("click", () => dialog.close());
  $("confirm-revoke-button").addEventListener("click", async () => {
    dialog.close();
    const row = revoking;
    const answer = await api("DELETE", `/v1/admin/keys/${encodeURIComponent(row.dataset.key)}`);
    const selector = `#keys tr[data-key="${CSS.escape(row.dataset.key)}"]`;
    if (!answer.ok) return rowMessage(selector, format(T.error, { message: problem(answer).message }));
    await refresh(["keys"]);
    const text = format(T.revoked, { name: row.dataset.name });
    rowMessage(selector, text);
    toast(text);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    if (button.classList.contains("revoke")) {
      revoking = row;
      $("confirm-revoke-text").textContent = format(T.confirm_revoke, { name: row.dataset.name });
      dialog.showModal();
      $("cancel-revoke").focus();
    } else if (button.classList.contains("disable")) changeUser(row, { disabled: true });
    else if (button.classList.contains("enable")) changeUser(row, { disabled: false });
    else if (button.classList.contains("unlock")) changeUser(row, { unlock: true });
    else if (button.classList.contains("password")) {
      const secret = onetimePassword();
      changeUser(row, { password: secret }, secret);
    }
  });
})();

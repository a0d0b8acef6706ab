// Shared by every kefu page: JSON calls with the CSRF token, a status toast, formatting.
"use strict";
const kefu = (() => {
  const token = document.querySelector('meta[name="csrf-token"]').content;

  // fetch a JSON endpoint; resolves to {ok, status, body, headers} and never throws on 4xx.
  async function api(method, url, body, headers) {
    const init = { method, headers: { Accept: "application/json", ...(headers || {}) },
                   credentials: "same-origin" };
    if (method !== "GET") init.headers["X-CSRF-Token"] = token;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, body: data, headers: response.headers };
  }

  let toastTimer = 0;
  function toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.classList.remove("show"), 2500);
  }

  // "%(name)s" placeholders, as the server's gettext uses them.
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_, name) => (name in values ? String(values[name]) : ""));
  }

  // Build an element: el("p", {class: "x", dir: "rtl"}, "text", child...). Text is always
  // set as text, never parsed as HTML: managers' and buyers' words stay words.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  // Copy text; the async clipboard needs a secure context (localhost or https).
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = el("textarea", { readonly: true, class: "sr-only" }, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  // Fetch this page again and swap in the elements with these ids: lists stay rendered
  // (and escaped) by the server, with no second copy of their markup in a script.
  async function refresh(ids) {
    const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return false;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ids) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (now && next) now.replaceWith(document.adoptNode(next));
    }
    return true;
  }

  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }

  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      await api("POST", "/v1/auth/logout", {});
      window.location.assign("/login");
    });
  }

  return { api, toast, format, el, data, copy, refresh };
})();

// Sign in; the first time (a password made for the account), set one's own; then go on.
"use strict";
(() => {
  const data = kefu.data("page-data");
  const s = data.strings;
  const banner = document.getElementById("banner");
  const login = document.getElementById("login-form");
  const change = document.getElementById("password-form");
  let current = "";

  function say(text) { banner.textContent = text; }

  function problem(response) {
    if (response.status === 429) {
      const seconds = response.headers.get("Retry-After") || "60";
      return kefu.format(s.limited, { seconds });
    }
    if (response.status === 401 || response.status === 403) return s.failed;
    const message = response.body && response.body.error ? response.body.error.message : "";
    return kefu.format(s.error, { message: message || response.status });
  }

  login.addEventListener("submit", async (event) => {
    event.preventDefault();
    current = document.getElementById("password").value;
    const response = await kefu.api("POST", "/v1/auth/login", {
      name: document.getElementById("name").value, password: current });
    if (!response.ok) { say(problem(response)); return; }
    if (response.body.must_change_password) {
      say(s.change);
      login.hidden = true;
      change.hidden = false;
      document.getElementById("new-password").focus();
      return;
    }
    window.location.assign(data.next);
  });

  change.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fresh = document.getElementById("new-password").value;
    if (fresh !== document.getElementById("new-password-again").value) { say(s.mismatch); return; }
    const response = await kefu.api("POST", "/v1/auth/password", { current, new: fresh });
    if (!response.ok) { say(problem(response)); return; }
    window.location.assign(data.next);
  });
})();

// signup.js: create an account (POST /v1/auth/signup), sign it in and go
// back to the page that sent the buyer here.
"use strict";
(function () {
  const A = window.AdmitOne;
  const form = document.getElementById("signup");
  const next = (() => {
    const n = A.param("next") || "";
    return n.startsWith("/app/") && !n.startsWith("//") ? n : "/app/";
  })();
  document.getElementById("signin-link").href = "/app/signin.html?next=" + encodeURIComponent(next);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = document.getElementById("signup-button");
    const email = document.getElementById("email").value.trim();
    const password = document.getElementById("password").value;
    const name = document.getElementById("name").value.trim();
    button.disabled = true;
    A.say("");
    try {
      await A.api("POST", "/v1/auth/signup", { email, password, name }, { auth: false });
      const res = await A.api("POST", "/v1/auth/login", { email, password }, { auth: false });
      A.setToken(res.token);
      location.href = next;
    } catch (e) {
      button.disabled = false;
      if (e.status === 409) A.say("An account with this email exists. Sign in instead.");
      else if (e.field) {
        A.say(e.message);
        const f = document.getElementById(e.field);
        if (f) { f.setAttribute("aria-invalid", "true"); f.focus(); }
      } else A.say(e.message);
    }
  });
})();

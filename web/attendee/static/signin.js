// signin.js: sign in (POST /v1/auth/login) with the two-factor step when
// the account has it (the server answers 401 totp_required), then back to
// the page that sent the buyer here.
"use strict";
(function () {
  const A = window.AdmitOne;
  const form = document.getElementById("signin");
  const totpField = document.getElementById("totp-field");

  // next is where to go after signing in: a page of this app only.
  function next() {
    const n = A.param("next") || "";
    return n.startsWith("/app/") && !n.startsWith("//") ? n : "/app/";
  }
  document.getElementById("signup-link").href = "/app/signup.html?next=" + encodeURIComponent(next());

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = document.getElementById("signin-button");
    const body = { email: document.getElementById("email").value.trim(), password: document.getElementById("password").value };
    const code = document.getElementById("totp").value.replace(/\s/g, "");
    if (!totpField.hidden && code) {
      if (/^\d{6,8}$/.test(code)) body.totp = code;
      else body.recovery_code = code;
    }
    button.disabled = true;
    A.say("");
    try {
      const res = await A.api("POST", "/v1/auth/login", body, { auth: false });
      A.setToken(res.token);
      location.href = next();
    } catch (e) {
      button.disabled = false;
      if (e.code === "totp_required") {
        const first = totpField.hidden;
        totpField.hidden = false;
        document.getElementById("totp").focus();
        A.say(first ? "Enter the code from your authenticator app to finish signing in." : "That code did not work. Enter the current code.");
        return;
      }
      if (e.status === 401) A.say("The email or password is wrong.");
      else if (e.status === 429) A.say("Too many attempts. Wait a little and try again.");
      else A.say(e.message);
    }
  });
})();

// common.js: what every page of the attendee app shares. The API client
// talks to the server's public /v1 API only, with the signed-in account's
// bearer token (kept in localStorage: the app has no inline script and a
// strict Content-Security-Policy, and the token is the same one a
// third-party app would hold).
"use strict";
(function () {
  const TOKEN = "admitone.token";

  // APIError is a failed call: the HTTP status and the API's error code
  // and message ({"error":{"code","message"}}), or code "network" when
  // the server was not reached.
  class APIError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field || "";
    }
  }

  // newKey makes an Idempotency-Key: one per user action, reused on every
  // retry of that action, so a double click or a retry never pays twice.
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // api calls METHOD PATH with an optional JSON body. opts.key sends an
  // Idempotency-Key; opts.auth=false leaves the token out.
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: "application/json" };
    const token = localStorage.getItem(TOKEN);
    if (token && opts.auth !== false) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.key) headers["Idempotency-Key"] = opts.key;
    let r;
    try {
      r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store", credentials: "omit" });
    } catch (e) {
      throw new APIError(0, "network", "The server cannot be reached. Check your connection and try again.");
    }
    const text = await r.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (!r.ok) {
      const e = (data && data.error) || {};
      if (r.status === 401 && opts.auth !== false) localStorage.removeItem(TOKEN);
      throw new APIError(r.status, e.code || "http_" + r.status, e.message || "The server answered " + r.status + ".", e.field);
    }
    return data;
  }

  // el builds an element: el("p", {class: "muted"}, "text", child...).
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "class") n.className = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
    return n;
  }

  // money formats minor units in a currency for the reader's locale.
  function money(minor, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
    } catch (e) {
      return (minor / 100).toFixed(2) + " " + currency;
    }
  }

  // action holds the Idempotency-Key of one user action: the same key on
  // every retry of it (a double click, a retry after a network error)
  // until done() says it succeeded, so the server acts on it once.
  function action() {
    let key = null;
    return { key: () => (key = key || newKey()), done: () => { key = null; } };
  }

  // problem replaces the page's main content with a clear end state: a
  // heading, what happened, what to do next (links or buttons), announced
  // to screen readers.
  function problem(title, text, ...next) {
    const main = document.getElementById("main");
    main.replaceChildren(el("section", { class: "problem", role: "alert", "aria-labelledby": "problem-title" },
      el("h1", { id: "problem-title" }, title), el("p", {}, text), el("p", { class: "actions" }, ...next)));
    document.title = title + " · AdmitOne";
    return main;
  }

  // say announces a message in the page's alert region (role="alert").
  function say(text) {
    const a = document.getElementById("alert");
    if (a) a.textContent = text || "";
  }

  // when formats an instant in the event's time zone.
  function when(iso, zone) {
    const o = { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: zone || undefined, timeZoneName: "short" }, o)).format(new Date(iso));
    } catch (e) {
      return new Date(iso).toLocaleString();
    }
  }

  // The shared header: a page's <header data-nav> gets the brand and the
  // main links; the last one signs in, or signs out (ending the session
  // at the server) when signed in.
  function wireNav() {
    const h = document.querySelector("header[data-nav]");
    if (h && !h.firstChild) {
      h.append(el("a", { class: "brand", href: "/app/" }, "AdmitOne"),
        el("nav", { "aria-label": "Main" }, el("a", { href: "/app/" }, "Events"), el("a", { href: "/app/tickets.html" }, "My tickets"),
          el("a", { id: "nav-auth", href: "/app/signin.html" }, "Sign in")));
    }
    const a = document.getElementById("nav-auth");
    if (!a || !localStorage.getItem(TOKEN)) return;
    a.textContent = "Sign out";
    a.href = "/app/";
    a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      try { await api("POST", "/v1/auth/logout"); } catch (e) { /* the token is dropped either way */ }
      localStorage.removeItem(TOKEN);
      // The tickets, tokens and rotation secrets kept for offline use
      // (store.js) belong to the account that signed out.
      try { indexedDB.deleteDatabase("admitone"); } catch (e) { /* no IndexedDB */ }
      location.href = "/app/";
    });
  }
  document.addEventListener("DOMContentLoaded", wireNav);

  // The service worker keeps the app's files for offline use, from
  // whichever page the attendee opens first.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  }

  // signInURL is the sign-in page, coming back to the current page.
  const signInURL = () => "/app/signin.html?next=" + encodeURIComponent(location.pathname + location.search);

  window.AdmitOne = {
    api, APIError, newKey, el, money, action, problem, say, when, signInURL,
    signedIn: () => !!localStorage.getItem(TOKEN),
    setToken: (t) => (t ? localStorage.setItem(TOKEN, t) : localStorage.removeItem(TOKEN)),
    param: (name) => new URLSearchParams(location.search).get(name),
  };
})();

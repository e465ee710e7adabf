// ticket.js: one ticket, shown at the door. The ticket comes from the
// device (IndexedDB) first, so the page renders in flight mode, then from
// the server when it answers. The QR code is drawn here from the token;
// a rotating ticket appends the current TOTP computed on the device from
// its rotation secret, redrawn at every period boundary.
"use strict";
(function () {
  const A = window.AdmitOne;
  const $ = (id) => document.getElementById(id);
  // A ticket opens by its id (the signed-in holder) or by a link token
  // (?link=aotl_...: a signed, expiring link from a confirmation email or
  // "send to my phone", bound to the first device that opens it).
  const link = A.param("link") || "";
  let id = A.param("id") || "";
  const linkPath = "/v1/links/" + encodeURIComponent(link);
  const status = $("status");
  let shown = null;      // the ticket on screen
  let timer = 0;         // the next redraw of a rotating code
  let marked = false;

  function say(node, text, cls) {
    node.textContent = text;
    node.className = cls || "";
  }

  // draw puts text's QR code on the canvas: black on white, a 4-module
  // quiet zone, whole pixels per module.
  function draw(text) {
    const q = qrcode(0, "M");
    q.addData(text, "Alphanumeric");
    q.make();
    const n = q.getModuleCount(), quiet = 4, total = n + 2 * quiet;
    const room = Math.min(360, $("main").clientWidth - 16);
    const scale = Math.max(2, Math.floor(room / total));
    const c = $("qr");
    c.width = c.height = total * scale;
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = "#000";
    for (let r = 0; r < n; r++) {
      for (let col = 0; col < n; col++) {
        if (q.isDark(r, col)) g.fillRect((col + quiet) * scale, (r + quiet) * scale, scale, scale);
      }
    }
    c.classList.remove("hidden");
    if (!marked) {
      marked = true;
      performance.mark("ticket-code-drawn");
    }
    document.body.dataset.codeDrawn = String(Date.now());
  }

  function hideCode(msg) {
    clearTimeout(timer);
    $("qr").classList.add("hidden");
    say($("code-line"), msg, "error");
  }

  // rotate shows token + the current code and schedules the next one.
  async function rotate(t, rot) {
    clearTimeout(timer);
    if (shown !== t) return;
    const secret = AdmitOneTOTP.fromBase64URL(rot.secret);
    const now = Date.now();
    const code = await AdmitOneTOTP.code(secret, Math.floor(now / 1000), rot.period || 30, rot.digits || 6);
    if (shown !== t) return;
    draw(t.token + code);
    document.body.dataset.period = String(Math.floor(now / 1000 / (rot.period || 30)));
    const next = AdmitOneTOTP.msToNext(now, rot.period || 30);
    say($("code-line"), "This code changes every " + (rot.period || 30) + " seconds; screenshots stop working.", "muted");
    timer = setTimeout(() => rotate(t, rot), next + 50);
  }

  // serverCode draws the server's picture of a rotating ticket (qr.png)
  // when the device has no secret for it but the server is reachable.
  async function serverCode(t) {
    clearTimeout(timer);
    let r;
    try {
      r = link
        ? await fetch(linkPath + "/qr.png", { credentials: "same-origin", cache: "no-store" })
        : await fetch("/v1/tickets/" + encodeURIComponent(t.id) + "/qr.png", {
          headers: { Authorization: "Bearer " + (localStorage.getItem("admitone.token") || "") }, cache: "no-store" });
    } catch (e) {
      r = null;
    }
    if (shown !== t) return;
    if (!r || !r.ok) {
      hideCode("This ticket's rotating code needs its secret on this device: open My tickets once while online.");
      return;
    }
    const img = await createImageBitmap(await r.blob());
    const c = $("qr");
    c.width = img.width;
    c.height = img.height;
    c.getContext("2d").drawImage(img, 0, 0);
    c.classList.remove("hidden");
    say($("code-line"), "Code drawn by the server; it changes every 30 seconds.", "muted");
    timer = setTimeout(() => serverCode(t), AdmitOneTOTP.msToNext(Date.now(), 30) + 200);
  }

  async function render(t) {
    shown = t;
    document.title = t.event.title + " · AdmitOne";
    $("title").textContent = t.event.title;
    $("when").textContent = A.wallet.when(t);
    $("venue").textContent = t.event.venue_name;
    $("type").textContent = t.ticket_type.name || "Ticket";
    $("holder").textContent = t.holder_name || "You";
    $("ticket-id").textContent = t.id;
    $("ticket").classList.remove("hidden");
    const valid = t.status === "valid" && t.token;
    $("manage").classList.toggle("hidden", !valid || !!link); // transfer and refund need the account
    const w = t.wallets || {};
    $("apple").classList.toggle("hidden", !(valid && w.apple));
    $("google").classList.toggle("hidden", !(valid && w.google && !link));
    if (!valid) {
      hideCode("This ticket no longer admits" + (t.revoke_reason ? " (" + t.revoke_reason + ")" : "") + ".");
      return;
    }
    if (!t.rotating) {
      clearTimeout(timer);
      draw(t.token);
      say($("code-line"), "Show this code at the door.", "muted");
      return;
    }
    const rot = await AdmitOneStore.rotation(t.id).catch(() => null);
    if (rot && rot.secret) return rotate(t, rot);
    return serverCode(t);
  }

  // loadLink opens the ticket a link names: from the server (which binds
  // the link to this device by a cookie), else from this device when the
  // link was opened here before.
  async function loadLink() {
    const known = localStorage.getItem("admitone.link." + link);
    const local = known ? await AdmitOneStore.ticket(known).catch(() => null) : null;
    if (local) {
      id = local.id;
      await render(local);
      say(status, "Saved on this device: works offline.", "muted");
    }
    let r;
    try {
      r = await fetch(linkPath, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    } catch (e) {
      if (!local) say(status, "Offline, and this link was not opened on this device before. Open it once while online.", "error");
      else say(status, "Offline: shown from this device.", "muted");
      return;
    }
    const body = await r.json().catch(() => null);
    if (!r.ok) {
      const e = (body && body.error) || {};
      const why = {
        link_used: "This link was opened on another device; it works on one device only.",
        link_expired: "This link has expired. Ask for a new one, or sign in to see your tickets.",
        link_revoked: "This link was withdrawn by the ticket's holder.",
        ticket_revoked: "This ticket no longer admits (refunded or cancelled).",
        ticket_transferred: "This ticket was transferred to someone else.",
      }[e.code] || e.message || "The server answered " + r.status + ".";
      if (local) await AdmitOneStore.forget(local.id).catch(() => {});
      shown = null;
      $("ticket").classList.add("hidden");
      say(status, why, "error");
      return;
    }
    id = body.id;
    if (body.status === "valid" && !body.rotating) {
      await AdmitOneStore.putTicket(body);
      localStorage.setItem("admitone.link." + link, body.id);
    }
    await render(body);
    say(status, body.status === "valid" && !body.rotating ? "Saved on this device: works offline." : "", "muted");
  }

  async function load() {
    if (link) return loadLink();
    if (!id) {
      say(status, "No ticket named. Choose one in My tickets.", "error");
      return;
    }
    const local = await AdmitOneStore.ticket(id).catch(() => null);
    if (local) {
      await render(local);
      say(status, "Saved on this device: works offline.", "muted");
    }
    let fresh;
    try {
      fresh = await A.api("GET", "/v1/tickets/" + encodeURIComponent(id));
    } catch (e) {
      if (e.code === "network") {
        if (!local) say(status, "Offline, and this ticket is not saved on this device. Open My tickets once while online.", "error");
        else say(status, "Offline: shown from this device.", "muted");
      } else if (e.status === 404) {
        await AdmitOneStore.forget(id).catch(() => {});
        shown = null;
        $("ticket").classList.add("hidden");
        say(status, "This ticket is not in your account (transferred, or another account's).", "error");
      } else if (!local) {
        say(status, e.message, "error");
      }
      return;
    }
    if (fresh.status === "valid") {
      await AdmitOneStore.putTicket(fresh);
      if (fresh.rotating && !(await AdmitOneStore.rotation(id).catch(() => null))) {
        const r = await A.wallet.rotationFor(fresh).catch(() => null);
        if (r) await AdmitOneStore.putRotation(Object.assign({}, r, { ticket_id: id }));
      }
    } else {
      await AdmitOneStore.forget(id).catch(() => {});
    }
    await render(fresh);
    say(status, fresh.status === "valid" ? "Saved on this device: works offline." : "", "muted");
  }

  // Wallets: the pass needs the bearer token, so it is fetched and handed
  // to the browser as a download; Google's is a link to its save page.
  $("apple").addEventListener("click", async () => {
    const out = $("wallet-result");
    say(out, "Getting the pass…", "muted");
    try {
      const r = link
        ? await fetch(linkPath + "/pass.pkpass", { credentials: "same-origin", cache: "no-store" })
        : await fetch("/v1/tickets/" + encodeURIComponent(id) + "/pass.pkpass", {
          headers: { Authorization: "Bearer " + (localStorage.getItem("admitone.token") || "") }, cache: "no-store" });
      if (!r.ok) {
        const e = await r.json().catch(() => ({}));
        throw new Error((e.error && e.error.message) || "The server answered " + r.status + ".");
      }
      const url = URL.createObjectURL(await r.blob());
      const a = A.el("a", { href: url, download: id + ".pkpass" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say(out, "Pass downloaded: open it to add it to Apple Wallet.", "ok");
    } catch (e) {
      say(out, e.code === "network" || e instanceof TypeError ? "The server cannot be reached." : e.message, "error");
    }
  });

  $("google").addEventListener("click", async () => {
    const out = $("wallet-result");
    try {
      const r = await A.api("GET", "/v1/tickets/" + encodeURIComponent(id) + "/google-wallet");
      if (!r || typeof r.save_url !== "string" || !r.save_url.startsWith("https://pay.google.com/")) throw new Error("The server gave no Google Wallet link.");
      location.assign(r.save_url);
    } catch (e) {
      say(out, e.message, "error");
    }
  });

  // Transfer and refund: each asks first, keeps its Idempotency-Key for
  // retries of the same confirmed action, and says what happened.
  let transferKey = null, refundKey = null;

  $("transfer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = $("manage-result");
    const to = $("to").value.trim();
    if (!to) return;
    if (!transferKey) {
      if (!confirm("Transfer this ticket to " + to + "? It becomes theirs and stops working on this device.")) return;
      transferKey = A.newKey();
    }
    say(out, "Transferring…", "muted");
    try {
      await A.api("POST", "/v1/tickets/" + encodeURIComponent(id) + "/transfer", { to }, { key: transferKey });
      transferKey = null;
      await AdmitOneStore.forget(id).catch(() => {});
      shown = null;
      hideCode("Transferred: this ticket no longer admits from this device.");
      say(status, "", "");
      say(out, "Transferred to " + to + ". They will find it in their tickets; your code no longer admits.", "ok");
      $("transfer").classList.add("hidden");
      $("refund").closest(".panel").classList.add("hidden");
    } catch (e) {
      if (e.code !== "network") transferKey = null;
      say(out, "Not transferred: " + e.message, "error");
    }
  });

  $("refund").addEventListener("click", async () => {
    const out = $("manage-result");
    if (!shown) return;
    const order = shown.order_id;
    if (!refundKey) {
      if (!confirm("Refund the whole order? All of its tickets stop working.")) return;
      refundKey = A.newKey();
    }
    say(out, "Refunding…", "muted");
    try {
      const o = await A.api("POST", "/v1/orders/" + encodeURIComponent(order) + "/refund", undefined, { key: refundKey });
      refundKey = null;
      for (const t of (o && o.tickets) || []) await AdmitOneStore.forget(t.id).catch(() => {});
      await AdmitOneStore.forget(id).catch(() => {});
      hideCode("Refunded: this ticket no longer admits.");
      say(status, "", "");
      $("transfer").classList.add("hidden");
      $("refund").closest(".panel").classList.add("hidden");
      say(out, "Refunded. The money goes back to your card; the order's tickets no longer admit.", "ok");
    } catch (e) {
      if (e.code !== "network") refundKey = null;
      say(out, "Not refunded: " + e.message, "error");
    }
  });

  load().catch((e) => say(status, "This ticket cannot be shown: " + e.message, "error"));
})();

// tickets.js: My tickets. Online, the list comes from GET /v1/tickets and
// is kept on the device; offline, the device's copy is shown.
"use strict";
(function () {
  const A = window.AdmitOne, el = A.el;
  const status = document.getElementById("status");
  const ul = document.getElementById("tickets");

  function show(list) {
    ul.replaceChildren();
    list.sort((a, b) => Date.parse(a.event.starts_at) - Date.parse(b.event.starts_at));
    for (const t of list) {
      const revoked = t.status !== "valid";
      ul.append(el("li", { class: "ticket-card" + (revoked ? " revoked" : "") },
        el("a", { href: "/app/ticket.html?id=" + encodeURIComponent(t.id), "data-ticket": t.id },
          el("strong", null, t.event.title),
          el("span", null, A.wallet.when(t)),
          el("span", null, (t.ticket_type.name || "Ticket") + " · " + t.event.venue_name),
          revoked ? el("span", { class: "error" }, "No longer valid" + (t.revoke_reason ? " (" + t.revoke_reason + ")" : "")) : null)));
    }
  }

  async function load() {
    if (!A.signedIn()) {
      const local = await AdmitOneStore.tickets().catch(() => []);
      if (local.length === 0) {
        status.replaceChildren("Sign in to see your tickets. ", el("a", { href: "/app/signin.html" }, "Sign in"));
        return;
      }
    }
    try {
      const list = await A.wallet.sync();
      show(list);
      status.textContent = list.length === 0 ? "You have no tickets yet." :
        list.length + (list.length === 1 ? " ticket, saved on this device for offline use." : " tickets, saved on this device for offline use.");
    } catch (e) {
      const local = await AdmitOneStore.tickets().catch(() => []);
      show(local);
      if (e.code === "network") {
        status.textContent = local.length ? "Offline: showing the tickets saved on this device." : "Offline, and no tickets are saved on this device yet.";
      } else if (e.status === 401) {
        status.replaceChildren("Your session ended. ", el("a", { href: "/app/signin.html" }, "Sign in again"));
      } else {
        status.textContent = e.message;
        status.className = "error";
      }
    }
  }

  load();
})();

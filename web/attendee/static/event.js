// event.js: one event (GET /v1/events/{id}) with its ticket types; the
// buyer chooses quantities and holds them (POST /v1/holds), then goes on
// to checkout.html with the hold.
"use strict";
(function () {
  const A = window.AdmitOne, el = A.el;
  const id = A.param("id") || "";
  const hold = A.action();
  let page = null;

  // saleState says in words whether a type can be bought now.
  function saleState(tt, now) {
    if (tt.sale_starts && new Date(tt.sale_starts) > now) return { open: false, text: "Sale starts " + A.when(tt.sale_starts, page.event.time_zone) };
    if (tt.sale_ends && new Date(tt.sale_ends) <= now) return { open: false, text: "Sale has ended" };
    return { open: true, text: "On sale" };
  }

  function chosen() {
    const lines = [];
    for (const tt of page.ticket_types || []) {
      const s = document.getElementById("qty-" + tt.id);
      const q = s ? Number(s.value) : 0;
      if (q > 0) lines.push({ ticket_type_id: tt.id, quantity: q });
    }
    return lines;
  }

  function showTotal() {
    const byID = new Map((page.ticket_types || []).map((t) => [t.id, t]));
    let sum = 0, cur = "", n = 0;
    for (const l of chosen()) {
      const tt = byID.get(l.ticket_type_id);
      sum += tt.price.amount * l.quantity;
      cur = tt.price.currency;
      n += l.quantity;
    }
    document.getElementById("total").textContent = n ? n + (n === 1 ? " ticket, " : " tickets, ") + A.money(sum, cur) : "Choose how many tickets you want.";
  }

  function render() {
    const ev = page.event, venue = page.venue || {};
    document.title = ev.title + " · AdmitOne";
    document.getElementById("title").textContent = ev.title;
    document.getElementById("when").textContent = A.when(ev.starts_at, ev.time_zone) + (ev.doors_at && ev.doors_at !== ev.starts_at ? " · doors " + A.when(ev.doors_at, ev.time_zone) : "");
    document.getElementById("where").textContent = [venue.name, venue.address, venue.city].filter(Boolean).join(", ");
    document.getElementById("description").textContent = ev.description || "";
    if (ev.status !== "published") {
      A.problem(ev.status === "cancelled" ? "This event is cancelled" : "This event is not on sale",
        ev.status === "cancelled" ? "Tickets bought for it are refunded." : "Tickets cannot be bought for it now.",
        el("a", { href: "/app/" }, "Find another event"));
      return;
    }
    const now = new Date();
    const types = document.getElementById("types");
    types.replaceChildren(...(page.ticket_types || []).map((tt) => {
      const s = saleState(tt, now);
      const max = Math.min(tt.per_order_max || 10, 10);
      const label = "Number of " + tt.name + " tickets";
      const select = el("select", { id: "qty-" + tt.id, "aria-label": label, disabled: !s.open, onchange: () => { hold.done(); showTotal(); } },
        ...Array.from({ length: max + 1 }, (_, i) => el("option", { value: String(i) }, String(i))));
      return el("div", { class: "ticket-type" },
        el("h3", {}, tt.name),
        el("p", {}, tt.price.amount === 0 ? "Free" : A.money(tt.price.amount, tt.price.currency)),
        el("p", { class: s.open ? "ok" : "muted" }, s.text),
        el("p", {}, el("label", { for: "qty-" + tt.id }, "How many"), select));
    }));
    document.getElementById("choose").hidden = false;
    showTotal();
  }

  async function submit(ev) {
    ev.preventDefault();
    const lines = chosen();
    if (!lines.length) { A.say("Choose at least one ticket first."); return; }
    if (!A.signedIn()) { location.href = A.signInURL(); return; }
    const button = document.getElementById("hold");
    button.disabled = true;
    A.say("");
    try {
      const h = await A.api("POST", "/v1/holds", { event_id: id, lines }, { key: hold.key() });
      hold.done();
      sessionStorage.setItem("admitone.hold." + h.id, JSON.stringify({ hold: h, page }));
      location.href = "/app/checkout.html?hold=" + encodeURIComponent(h.id);
    } catch (e) {
      button.disabled = false;
      if (e.status === 401) { location.href = A.signInURL(); return; }
      if (e.code === "sold_out") {
        A.problem("Sold out", "There are not enough tickets left for what you chose. Nothing was held and nothing was charged. Choose fewer tickets or another ticket type.",
          el("a", { href: location.pathname + location.search }, "Choose again"), el("a", { href: "/app/" }, "Find another event"));
        return;
      }
      if (e.code === "hold_limit") { A.say("You already hold as many tickets of this event as one person may. Check out or let that hold expire first."); return; }
      if (e.code === "rate_limited") { A.say("Too many holds in a short time. Wait a minute and try again."); return; }
      A.say(e.message);
    }
  }

  async function load() {
    try {
      page = await A.api("GET", "/v1/events/" + encodeURIComponent(id), undefined, { auth: false });
    } catch (e) {
      if (e.status === 404) A.problem("Event not found", "This event does not exist or is not public.", el("a", { href: "/app/" }, "Find an event"));
      else A.problem("The event could not be loaded", e.message, el("a", { href: location.pathname + location.search }, "Try again"));
      return;
    }
    render();
  }

  document.getElementById("choose").addEventListener("submit", submit);
  load();
})();

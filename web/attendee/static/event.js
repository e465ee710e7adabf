// event.js: one event (GET /v1/events/{id}) with its ticket types; the
// buyer chooses quantities and holds them (POST /v1/holds), then goes on
// to checkout.html with the hold. When the event's on-sale has a waiting
// room, the hold is refused with admission_required: the page takes a
// place in the queue (POST /v1/events/{id}/queue), shows the position and
// the estimated wait, polls until the buyer is admitted and then holds
// with the admission token.
"use strict";
(function () {
  const A = window.AdmitOne, el = A.el;
  const id = A.param("id") || "";
  const hold = A.action();
  const admissionKey = "admitone.admission." + id;
  let page = null;
  let queueing = false;

  // admission is this tab's admission token for the event, while it lasts.
  function admission() {
    try {
      const a = JSON.parse(sessionStorage.getItem(admissionKey) || "null");
      if (a && a.admission_token && new Date(a.expires_at) > new Date()) return a.admission_token;
    } catch (e) { /* none */ }
    return "";
  }

  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  // showQueue says the place in words: position, people ahead, wait.
  function showQueue(st) {
    document.getElementById("queue").hidden = false;
    let text;
    if (st.status === "admitted") {
      text = "It is your turn. Holding your tickets…";
    } else {
      const secs = st.estimated_wait_seconds || 0, mins = Math.ceil(secs / 60);
      text = "You are number " + st.position + " in the queue, " + st.ahead + (st.ahead === 1 ? " person" : " people") +
        " ahead of you; about " + (secs < 60 ? "less than a minute" : mins === 1 ? "a minute" : mins + " minutes") + " to wait.";
    }
    document.getElementById("queue-text").textContent = text;
  }

  // queue takes a place in the waiting room and waits for admission,
  // then submits the choice again with the admission token.
  async function queue() {
    if (queueing) return;
    queueing = true;
    const path = "/v1/events/" + encodeURIComponent(id) + "/queue";
    try {
      let st = await A.api("POST", path);
      for (;;) {
        if (!st.room_enabled || (st.status === "admitted" && st.admission_token)) {
          if (st.admission_token) sessionStorage.setItem(admissionKey, JSON.stringify({ admission_token: st.admission_token, expires_at: st.expires_at }));
          showQueue({ status: "admitted" });
          queueing = false;
          document.getElementById("choose").requestSubmit();
          return;
        }
        if (st.status === "expired") st = await A.api("POST", path); // back in line
        showQueue(st);
        await sleep(Math.min(15000, Math.max(2000, (st.estimated_wait_seconds || 0) * 500)));
        st = await A.api("GET", path);
      }
    } catch (e) {
      queueing = false;
      document.getElementById("hold").disabled = false;
      if (e.status === 401) { location.href = A.signInURL(); return; }
      A.say("The waiting room could not be reached: " + e.message + " Try again.");
    }
  }

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
      const body = { event_id: id, lines };
      const token = admission();
      if (token) body.admission_token = token;
      const h = await A.api("POST", "/v1/holds", body, { key: hold.key() });
      hold.done();
      sessionStorage.setItem("admitone.hold." + h.id, JSON.stringify({ hold: h, page }));
      location.href = "/app/checkout.html?hold=" + encodeURIComponent(h.id);
    } catch (e) {
      button.disabled = false;
      if (e.status === 401) { location.href = A.signInURL(); return; }
      if (e.code === "admission_required" || e.code === "admission_expired") {
        sessionStorage.removeItem(admissionKey);
        hold.done(); // a new hold request once admitted
        button.disabled = true;
        queue();
        return;
      }
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

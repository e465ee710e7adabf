// checkout.js: a hold with its countdown, checkout (POST /v1/orders), the
// payment (POST /v1/orders/{id}/pay: the test provider's card form, or
// Stripe's Payment Element with the client_secret it returns) and the
// confirmation with the order's tickets. Every mutating call carries an
// Idempotency-Key made once per user action and reused on its retries,
// and the pay button stays disabled while a payment is in flight, so
// nothing is charged twice.
"use strict";
(function () {
  const A = window.AdmitOne, el = A.el;
  const main = document.getElementById("main");
  const checkoutAction = A.action(), payAction = A.action(), confirmAction = A.action(), startAction = A.action();
  let timer = null;

  function view(title, ...children) {
    clearInterval(timer);
    document.title = title + " · AdmitOne";
    main.replaceChildren(el("h1", { id: "title" }, title), ...children, el("div", { id: "alert", role: "alert" }));
  }

  function eventLink(eventID) {
    return el("a", { href: "/app/event.html?id=" + encodeURIComponent(eventID) }, "Back to the event");
  }

  function lineList(lines, types) {
    const byID = new Map((types || []).map((t) => [t.id, t]));
    return el("ul", {}, ...lines.map((l) => {
      const tt = byID.get(l.ticket_type_id) || { name: "Ticket", price: l.unit_price };
      const price = l.unit_price || tt.price;
      return el("li", {}, l.quantity + " × " + tt.name + (price ? " at " + A.money(price.amount, price.currency) : ""));
    }));
  }

  function expired(eventID) {
    A.problem("Your hold has expired", "The tickets you held were released for others, and nothing was charged. Go back to the event to choose them again.",
      eventLink(eventID), el("a", { href: "/app/" }, "Find another event"));
  }

  // --- the hold

  function showHold(saved) {
    const h = saved.hold, page = saved.page;
    const count = el("p", { id: "countdown", class: "countdown", role: "timer", "aria-live": "off" });
    const button = el("button", { id: "checkout", type: "button" }, "Check out");
    view("Your tickets are held",
      el("p", {}, page.event.title + ", " + A.when(page.event.starts_at, page.event.time_zone)),
      lineList(h.lines, page.ticket_types),
      el("p", {}, "They are yours for:"), count,
      el("p", { class: "actions" }, button, eventLink(h.event_id)));
    const end = new Date(h.expires_at).getTime();
    let warned = false;
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      count.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      count.setAttribute("aria-label", "Time left: " + Math.floor(left / 60) + " minutes " + (left % 60) + " seconds");
      if (left <= 60 && !warned && left > 0) { warned = true; A.say("Less than a minute left to check out."); }
      if (left === 0) { clearInterval(timer); expired(h.event_id); }
    };
    tick();
    timer = setInterval(tick, 1000);
    button.addEventListener("click", () => checkout(saved, button));
  }

  async function checkout(saved, button) {
    button.disabled = true;
    A.say("");
    let order;
    try {
      order = await A.api("POST", "/v1/orders", { hold_id: saved.hold.id }, { key: checkoutAction.key() });
    } catch (e) {
      button.disabled = false;
      if (e.status === 401) { location.href = A.signInURL(); return; }
      if (e.status === 410 || e.code === "expired") { expired(saved.hold.event_id); return; }
      A.say(e.message);
      return;
    }
    checkoutAction.done();
    sessionStorage.setItem("admitone.order." + order.id, JSON.stringify({ page: saved.page }));
    history.replaceState(null, "", "/app/checkout.html?order=" + encodeURIComponent(order.id));
    showPayment(order, saved.page);
  }

  // --- payment

  async function showPayment(order, page) {
    if (order.status === "paid") return showPaid(order, null, page);
    if (order.status === "cancelled" || (order.status === "pending_payment" && new Date(order.expires_at) <= new Date())) {
      A.problem("This order has expired", "It was not paid in time, so its tickets were released. Nothing was charged.", eventLink(order.event_id));
      return;
    }
    if (order.status !== "pending_payment") {
      A.problem("This order cannot be paid", "Its status is " + order.status.replace("_", " ") + ".", el("a", { href: "/app/tickets.html" }, "My tickets"));
      return;
    }
    let cfg;
    try {
      cfg = await A.api("GET", "/v1/config", undefined, { auth: false });
    } catch (e) {
      A.problem("The payment page could not be loaded", e.message, el("a", { href: location.href }, "Try again"));
      return;
    }
    const total = A.money(order.total.amount, order.total.currency);
    const summary = [el("p", {}, page ? page.event.title : ""), lineList(order.lines, page && page.ticket_types),
      el("p", {}, el("strong", {}, "Total: " + total)),
      el("p", { class: "hint" }, "Pay before " + A.when(order.expires_at) + " or the order is cancelled.")];
    if (cfg.payments === "stripe") return stripePayment(order, page, cfg, summary, total);
    if (cfg.payments !== "test") {
      A.problem("Payments are not available", "This server takes no payments right now. Nothing was charged.", eventLink(order.event_id));
      return;
    }
    const card = el("input", { id: "card", name: "card", inputmode: "numeric", autocomplete: "cc-number", maxlength: "23", required: true, "aria-describedby": "card-hint" });
    const button = el("button", { id: "pay", type: "submit" }, "Pay " + total);
    const form = el("form", { id: "pay-form" },
      el("div", { class: "field" }, el("label", { for: "card" }, "Card number"), card,
        el("p", { class: "hint", id: "card-hint" }, "Test payments: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.")),
      el("p", {}, button));
    view("Pay for your tickets", ...summary, form);
    card.addEventListener("input", () => payAction.done());
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      pay(order, page, { test_card: card.value.replace(/[\s-]/g, "") }, button, payAction);
    });
  }

  // inFlight is set while a pay call is under way: a second click (or
  // Enter) while the button is disabled does nothing.
  let inFlight = false;

  async function pay(order, page, body, button, act) {
    if (inFlight) return;
    inFlight = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    A.say("");
    try {
      const res = await A.api("POST", "/v1/orders/" + encodeURIComponent(order.id) + "/pay", body, { key: act.key() });
      act.done();
      if (res.order.status === "paid") return showPaid(res.order, res.tickets, page);
      if (res.payment && res.payment.status === "requires_action") return authenticate(res.order, page);
      A.say("The payment is being processed. This page shows your tickets when it is done.");
      return waitPaid(order, page);
    } catch (e) {
      if (e.status === 401) { location.href = A.signInURL(); return; }
      if (e.code === "card_declined" || e.status === 402) {
        act.done();
        A.problem("Your card was declined", "Nothing was charged. Try another card, or ask your bank why it refused the payment.",
          el("button", { id: "retry", type: "button", onclick: () => reload(order.id, page) }, "Try another card"));
        return;
      }
      if (e.status === 410) { A.problem("This order has expired", "It was not paid in time. Nothing was charged.", eventLink(order.event_id)); return; }
      if (e.status === 409) return reload(order.id, page); // paid or cancelled meanwhile: show what it is
      A.say(e.message + (e.code === "network" ? "" : " Nothing was charged twice: trying again is safe."));
    } finally {
      inFlight = false;
      if (button.isConnected) { button.disabled = false; button.removeAttribute("aria-busy"); }
    }
  }

  function authenticate(order, page) {
    const button = el("button", { id: "confirm", type: "button" }, "Confirm the payment");
    A.problem("Your bank asks you to confirm this payment",
      "The card needs authentication before it is charged. Confirm it to finish; nothing is charged until then.", button,
      el("a", { href: "/app/checkout.html?order=" + encodeURIComponent(order.id) }, "Use another card"));
    button.addEventListener("click", () => pay(order, page, { complete_action: true }, button, confirmAction));
  }

  async function reload(orderID, page) {
    try {
      const o = await A.api("GET", "/v1/orders/" + encodeURIComponent(orderID));
      showPayment(o, page);
    } catch (e) {
      A.problem("The order could not be loaded", e.message, el("a", { href: location.href }, "Try again"));
    }
  }

  // waitPaid polls the order until the provider's event marked it paid.
  async function waitPaid(order, page) {
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      let o;
      try { o = await A.api("GET", "/v1/orders/" + encodeURIComponent(order.id)); } catch (e) { continue; }
      if (o.status !== "pending_payment") return showPayment(o, page);
    }
    A.say("The payment is taking long. My tickets shows the tickets once it is done.");
  }

  // --- Stripe

  function loadStripe() {
    if (window.Stripe) return Promise.resolve(window.Stripe);
    return new Promise((resolve, reject) => {
      const s = el("script", { src: "https://js.stripe.com/v3/" });
      s.addEventListener("load", () => resolve(window.Stripe));
      s.addEventListener("error", () => reject(new Error("Stripe could not be reached.")));
      document.head.append(s);
    });
  }

  async function stripePayment(order, page, cfg, summary, total) {
    let res;
    try {
      res = await A.api("POST", "/v1/orders/" + encodeURIComponent(order.id) + "/pay", {}, { key: startAction.key() });
      startAction.done();
    } catch (e) {
      A.problem("The payment could not be started", e.message, el("a", { href: location.href }, "Try again"));
      return;
    }
    if (res.order.status === "paid") return showPaid(res.order, res.tickets, page);
    const button = el("button", { id: "pay", type: "submit" }, "Pay " + total);
    const form = el("form", { id: "pay-form" }, el("div", { id: "stripe-element" }), el("p", {}, button));
    view("Pay for your tickets", ...summary, form);
    let stripe, elements;
    try {
      const Stripe = await loadStripe();
      stripe = Stripe(cfg.stripe_publishable_key);
      elements = stripe.elements({ clientSecret: res.payment.client_secret });
      elements.create("payment").mount("#stripe-element");
    } catch (e) {
      A.say(e.message);
      return;
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (inFlight) return;
      inFlight = true;
      button.disabled = true;
      const r = await stripe.confirmPayment({ elements, redirect: "if_required", confirmParams: { return_url: location.href } });
      inFlight = false;
      if (r.error) {
        button.disabled = false;
        if (r.error.type === "card_error") {
          A.problem("Your card was declined", (r.error.message || "") + " Nothing was charged. Try another card.",
            el("a", { href: location.href }, "Try another card"));
        } else A.say(r.error.message || "The payment failed. Nothing was charged.");
        return;
      }
      A.say("Payment received; your tickets are being issued.");
      waitPaid(order, page);
    });
  }

  // --- paid

  async function showPaid(order, tickets, page) {
    if (!tickets) {
      try {
        const all = await A.api("GET", "/v1/tickets");
        tickets = (all.tickets || []).filter((t) => t.order_id === order.id);
      } catch (e) { tickets = []; }
    }
    const n = tickets.length;
    view("You have your tickets",
      el("p", { class: "ok" }, "Paid " + A.money(order.total.amount, order.total.currency) + ". " + n + (n === 1 ? " ticket is" : " tickets are") + " in My tickets."),
      el("ul", { id: "tickets" }, ...tickets.map((t, i) =>
        el("li", {}, "Ticket " + (i + 1) + " of " + n + ": " + t.ticket_type.name + (t.event && t.event.title ? ", " + t.event.title : "")))),
      el("p", { class: "actions" }, el("a", { id: "my-tickets", class: "button", href: "/app/tickets.html" }, "Go to My tickets")));
    sessionStorage.removeItem("admitone.order." + order.id);
  }

  // --- start

  async function start() {
    if (!A.signedIn()) { location.href = A.signInURL(); return; }
    const holdID = A.param("hold"), orderID = A.param("order");
    if (orderID) {
      const saved = JSON.parse(sessionStorage.getItem("admitone.order." + orderID) || "null");
      let page = saved && saved.page;
      try {
        const o = await A.api("GET", "/v1/orders/" + encodeURIComponent(orderID));
        if (!page) page = await A.api("GET", "/v1/events/" + encodeURIComponent(o.event_id), undefined, { auth: false }).catch(() => null);
        return showPayment(o, page);
      } catch (e) {
        if (e.status === 401) { location.href = A.signInURL(); return; }
        A.problem("Order not found", "This order does not exist or is another account's.", el("a", { href: "/app/" }, "Find an event"));
        return;
      }
    }
    const saved = JSON.parse(sessionStorage.getItem("admitone.hold." + holdID) || "null");
    if (!saved) {
      A.problem("This hold is not on this device", "Holds are kept in the browser tab that made them. Choose your tickets again.", el("a", { href: "/app/" }, "Find an event"));
      return;
    }
    if (new Date(saved.hold.expires_at) <= new Date()) { expired(saved.hold.event_id); return; }
    showHold(saved);
  }
  start();
})();

// index.js: search published events (GET /v1/events) by keywords, city,
// category, dates and highest price; the form's values live in the URL,
// so a search can be shared and the back button returns to it.
"use strict";
(function () {
  const A = window.AdmitOne, el = A.el;
  const form = document.getElementById("search");
  const fields = ["q", "city", "category", "from", "to", "price_max"];

  // query turns the form into the API's parameters: dates are whole
  // local days, the price is in major units on the form, minor in the API.
  function query(v) {
    const p = new URLSearchParams();
    if (v.q) p.set("q", v.q);
    if (v.city) p.set("city", v.city);
    if (v.category) p.set("category", v.category);
    if (v.from) p.set("from", new Date(v.from + "T00:00:00").toISOString());
    if (v.to) {
      const d = new Date(v.to + "T00:00:00");
      d.setDate(d.getDate() + 1);
      p.set("to", d.toISOString());
    }
    if (v.price_max !== "" && v.price_max !== undefined && !isNaN(Number(v.price_max))) {
      p.set("price_max", String(Math.round(Number(v.price_max) * 100)));
    }
    p.set("sort", v.q ? "relevance" : "date");
    p.set("per_page", "20");
    return p;
  }

  function lowest(types) {
    const priced = (types || []).filter((t) => t.kind !== "merchandise" && t.price);
    if (!priced.length) return "";
    const min = priced.reduce((a, b) => (b.price.amount < a.price.amount ? b : a));
    return min.price.amount === 0 ? "Free" : "From " + A.money(min.price.amount, min.price.currency);
  }

  async function search() {
    const v = {};
    for (const f of fields) v[f] = document.getElementById(f).value.trim();
    const list = document.getElementById("results");
    const count = document.getElementById("results-count");
    A.say("");
    count.textContent = "Searching…";
    let res;
    try {
      res = await A.api("GET", "/v1/events?" + query(v).toString(), undefined, { auth: false });
    } catch (e) {
      count.textContent = "";
      A.say("The search failed: " + e.message);
      return;
    }
    const events = res.events || [];
    count.textContent = events.length ? res.total + (res.total === 1 ? " event found." : " events found.")
      : "No events match. Try fewer words, another city or other dates.";
    list.replaceChildren(...events.map((hit) => {
      const ev = hit.event, venue = hit.venue || {};
      return el("li", {},
        el("h2", {}, el("a", { href: "/app/event.html?id=" + encodeURIComponent(ev.id) }, ev.title)),
        el("p", {}, A.when(ev.starts_at, ev.time_zone)),
        el("p", { class: "muted" }, [venue.name, venue.city].filter(Boolean).join(", ")),
        el("p", {}, lowest(hit.ticket_types)));
    }));
  }

  // The URL fills the form, then the search runs.
  const params = new URLSearchParams(location.search);
  for (const f of fields) if (params.get(f)) document.getElementById(f).value = params.get(f);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const f of fields) {
      const v = document.getElementById(f).value.trim();
      if (v) p.set(f, v);
    }
    history.replaceState(null, "", "/app/" + (p.toString() ? "?" + p : ""));
    search();
  });
  search();
})();

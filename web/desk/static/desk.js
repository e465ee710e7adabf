// The organizer's desk: the event page's live figures. The page works
// without this file (its figures are as of the page's load); with it, the
// figures, the gate panel and the chart follow the server's event stream.
"use strict";
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var state = document.getElementById("live-state");
  var rows = document.getElementById("gate-rows");
  var chartEl = document.getElementById("chart");
  var data = [[], [], [], []];
  var plot = null;
  // The chart's past (tickets paid by the hour, entries by the minute,
  // added up) as the server rendered it; inside now has no past.
  try {
    JSON.parse((chartEl && chartEl.dataset.history) || "[]").forEach(function (p) {
      data[0].push(p[0]); data[1].push(p[1]); data[2].push(p[2]); data[3].push(null);
    });
  } catch (e) { /* a page without a past draws from now on */ }

  function setState(text, on) {
    state.textContent = text;
    state.className = "live-state " + (on ? "on" : "off");
  }

  function chart(f) {
    var t = Date.parse(f.as_of) / 1000;
    data[0].push(t); data[1].push(f.sold); data[2].push(f.checked_in); data[3].push(f.inside);
    if (data[0].length > 2000) data.forEach(function (s) { s.shift(); });
    if (!window.uPlot || !chartEl) return;
    if (!plot) {
      var step = uPlot.paths.stepped({ align: 1 });
      plot = new uPlot({
        width: Math.max(280, chartEl.clientWidth), height: 240,
        scales: { x: { time: true } },
        series: [{}, { label: "Sold", stroke: "#0b57d0", width: 2, paths: step },
          { label: "Checked in", stroke: "#137333", width: 2, dash: [6, 3], paths: step },
          { label: "Inside now", stroke: "#b06000", width: 2, dash: [2, 2], paths: step }],
        axes: [{}, { label: "tickets" }]
      }, data, chartEl);
      window.addEventListener("resize", function () { plot.setSize({ width: Math.max(280, chartEl.clientWidth), height: 240 }); });
    } else {
      plot.setData(data);
    }
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function gates(list) {
    var next = document.createDocumentFragment();
    if (!list.length) {
      var none = document.createElement("tr");
      none.className = "none";
      var td = document.createElement("td");
      td.colSpan = 8; td.textContent = "No gates yet.";
      none.appendChild(td); next.appendChild(none);
    }
    list.forEach(function (g) {
      var tr = document.createElement("tr");
      tr.dataset.gate = g.id;
      tr.className = g.quiet ? "g-quiet" : g.online ? "g-online" : g.revoked ? "g-revoked" : "g-offline";
      cell(tr, g.name); cell(tr, g.direction); cell(tr, g.state, "state"); cell(tr, String(g.entries));
      cell(tr, g.last_sync || "not reported"); cell(tr, g.clock_skew || "not reported");
      cell(tr, g.scans_per_minute == null ? "not reported" : String(g.scans_per_minute));
      cell(tr, g.outbox == null ? "not reported" : String(g.outbox));
      next.appendChild(tr);
    });
    rows.replaceChildren(next);
  }

  function show(f) {
    document.querySelectorAll("[data-fig]").forEach(function (el) {
      var k = el.dataset.fig, v = f[k];
      if (k === "revenue") v = v.length ? v.join(", ") : "none";
      if (v !== undefined) el.textContent = String(v);
    });
    document.getElementById("summary").textContent = f.summary;
    gates(f.gates);
    chart(f);
    setState("live, as of " + new Date(f.as_of).toLocaleTimeString(), true);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  var es = new EventSource(live.dataset.src);
  es.addEventListener("figures", function (e) { show(JSON.parse(e.data)); });
  es.addEventListener("signed-out", function () { es.close(); setState("signed out: reload to sign in again", false); });
  es.onerror = function () { setState("connection lost, reconnecting…", false); };
})();

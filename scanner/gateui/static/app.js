// The gate's screen (scanner/gateui). Plain JavaScript, no library, no
// build step. It sends camera frames and typed codes to the gate's API and
// shows every verdict full screen; it never decodes a code itself.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  // How long a verdict stays before the screen returns to "ready".
  const SHOW_MS = { admit: 2500, refuse: 5000, attention: 6000 };
  const MAX_CODE = 1024;

  const KIND = {
    accepted: "admit",
    already_used: "refuse", revoked: "refuse", wrong_event: "refuse", not_allowed_here: "refuse",
    expired: "refuse", invalid_signature: "refuse", code_expired: "refuse", malformed: "refuse",
    unknown_ticket: "refuse",
    not_yet_valid: "attention", unknown_key: "attention", error: "attention",
  };
  const ICON = { ready: "\u25C9", admit: "\u2713", refuse: "\u2717", attention: "!" };

  let T = {}; // the string catalogue
  let lang = "en";
  let csrf = "";
  let dryRun = false;
  // direction is what this screen's scans record at a gate whose profile
  // allows both ("entry" or "exit"); "" at a one-way gate.
  let direction = "";
  let camOn = false;
  let timer = 0;
  let gateID = "";
  // pickupDesk: this gate is a merch desk (its status says purpose
  // merch_pickup): codes and frames go to /v1/pickup, which claims the
  // order's merchandise at the server.
  let pickupDesk = false;

  // The screen's lane name: one per browser, kept across reloads, so a
  // tablet is one camera lane of the gate (the gate allows 16).
  const screenID = (() => {
    let id = "";
    try { id = localStorage.getItem("admitone.screen") || ""; } catch (e) { /* private mode */ }
    if (!/^screen-[a-z0-9]{6}$/.test(id)) {
      id = "screen-" + Math.random().toString(36).slice(2, 8).padEnd(6, "0");
      try { localStorage.setItem("admitone.screen", id); } catch (e) { /* private mode */ }
    }
    return id;
  })();

  // Measurements for the browser test and BENCHMARKS.md: frame capture to
  // verdict painted, and frames answered.
  const stats = { latencies: [], frames: 0, verdicts: 0, shown: [] };
  window.admitoneGate = stats;

  function t(key, vars) {
    let s = T[key];
    if (s === undefined) s = key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
    return s;
  }

  async function loadCatalogue() {
    const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"]);
    const have = ["en", "de"];
    for (const l of wanted) {
      const base = String(l).toLowerCase().split("-")[0];
      if (have.includes(base)) { lang = base; break; }
    }
    const r = await fetch("/ui/i18n/" + lang + ".json", { cache: "no-cache" });
    T = await r.json();
    document.documentElement.lang = lang;
    document.title = t("title");
    const text = {
      "code-label": "code", check: "check", "camera-toggle": "camera", "dry-run": "dry_run",
      "l-admitted": "admitted_here", "l-inside": "inside_now", "l-outbox": "outbox", "l-sync": "last_sync",
      "login-title": "login_title", "pin-label": "pin", "login-go": "sign_in",
      "dir-entry": "entry", "dir-exit": "exit",
    };
    for (const id in text) $(id).textContent = t(text[id]);
    $("code").placeholder = t("code");
    $("direction").setAttribute("aria-label", t("direction"));
  }

  // ---- the API ------------------------------------------------------

  // signIns counts successful sign-ins: a request sent before the
  // latest one (a camera frame in flight while staff signed in) answers
  // 401 for the session it did not have, and must not bring the sign-in
  // form back.
  let signIns = 0;

  async function post(path, body, type) {
    const headers = { "Content-Type": type };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const sentAt = signIns;
    const r = await fetch(path, { method: "POST", headers, body, credentials: "same-origin", cache: "no-store" });
    if (r.status === 401 && sentAt === signIns) showLogin();
    return r;
  }

  function query() {
    let q = "camera=" + encodeURIComponent(screenID);
    if (dryRun) q += "&dry_run=1";
    if (direction) q += "&direction=" + direction;
    return q;
  }

  // Session: staff sign-in when the gate requires it (GET /v1/session
  // answers 401); a gate without it answers 404 or {"required":false}.
  async function checkSession() {
    let r;
    try { r = await fetch("/v1/session", { credentials: "same-origin", cache: "no-store" }); } catch (e) { return; }
    if (r.status === 401) { showLogin(); return; }
    if (r.ok) {
      try { const b = await r.json(); if (b && b.csrf) csrf = b.csrf; } catch (e) { /* not JSON */ }
    }
  }

  // showLogin brings the sign-in form up. Only its appearing clears and
  // focuses the PIN field: a 401 arriving while staff are typing (a
  // code typed before signing in) must not wipe what they typed.
  function showLogin() {
    const shown = !$("login").hidden;
    $("login").hidden = false;
    setConn("signed_out");
    if (shown) return;
    $("pin").value = "";
    $("pin").focus();
  }

  async function signIn(ev) {
    ev.preventDefault();
    const pin = $("pin").value;
    $("pin").value = "";
    const r = await fetch("/v1/session", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ pin }),
    });
    if (!r.ok) { $("login-error").textContent = t("login_failed"); return; }
    const b = await r.json();
    csrf = b.csrf || "";
    signIns++;
    $("login-error").textContent = "";
    $("login").hidden = true;
    connectStream();
  }

  // ---- verdicts -----------------------------------------------------

  function fmtTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const sameDay = d.toDateString() === new Date().toDateString();
    const o = sameDay ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(lang, o).format(d);
  }

  function verdictKey(res) {
    if (res.verdict === "accepted") {
      if (res.dry_run) return "accepted_dry";
      if (res.direction === "exit") return "accepted_exit";
    }
    return T["verdict." + res.verdict] !== undefined ? res.verdict : "error";
  }

  // show paints a verdict and returns a promise that resolves once it has
  // been painted.
  function show(res, own) {
    clearTimeout(timer);
    const kind = res.dry_run && res.verdict === "accepted" ? "attention" : (KIND[res.verdict] || "attention");
    const key = verdictKey(res);
    const v = $("verdict");
    v.dataset.kind = kind;
    v.dataset.verdict = res.verdict;
    $("v-icon").textContent = ICON[kind];
    $("v-title").textContent = t("verdict." + key);
    $("v-reason").textContent = t("reason." + key);
    const detail = [];
    if (res.ticket_type_name) detail.push(res.ticket_type_name);
    else if (res.ticket_type !== undefined && res.ticket_type !== null) detail.push(t("type_number", { type: res.ticket_type }));
    if (res.holder) detail.push(res.holder);
    if (res.verdict === "already_used" && res.previous) {
      detail.push(t("first_used", { time: fmtTime(res.previous.at), gate: res.previous.gate_id }));
    }
    // At a gate for both ways, say which way was recorded (or checked).
    if (direction && (res.direction === "entry" || res.direction === "exit") && res.verdict !== "error") {
      detail.push(t((res.checkin_id ? "recorded." : "checked.") + res.direction));
    }
    $("v-detail").textContent = detail.join(" \u00B7 ");
    $("v-banner").hidden = !res.dry_run;
    $("v-banner").textContent = res.dry_run ? t("dry_run_banner") : "";
    $("v-source").textContent = own ? "" : t("from_lane", { source: res.source || "?" });
    stats.verdicts++;
    stats.shown.push({ verdict: res.verdict, own: !!own, at: res.at, title: $("v-title").textContent, detail: $("v-detail").textContent });
    if (stats.shown.length > 100) stats.shown.shift();
    tally(res);
    signal(kind);
    timer = setTimeout(ready, SHOW_MS[kind] || 4000);
    return painted();
  }

  // painted resolves after the next frame was rendered: the callback of
  // requestAnimationFrame runs before the paint, the message after it.
  function painted() {
    return new Promise((resolve) => {
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => resolve(performance.now());
        ch.port2.postMessage(0);
      });
    });
  }

  // ---- merch desk: what a scan hands out ----------------------------

  function itemText(items) {
    return items.map((it) => it.quantity + " \u00D7 " + it.name).join(", ");
  }

  // noCode reads a 422 answer and reports whether it only says that the
  // frame held no code (the camera goes on looking); the answer is
  // consumed either way, so it is kept for showPickupAnswer.
  let lastAnswer = null;
  async function noCode(r) {
    try { lastAnswer = await r.json(); } catch (e) { lastAnswer = null; }
    return !!(lastAnswer && lastAnswer.error && lastAnswer.error.code === "no_code");
  }

  // showPickupAnswer paints a /v1/pickup answer: the items this scan
  // hands out and, for the others, where and when they went; a refusal
  // with the server's words; offline, that a pickup needs the server.
  async function showPickupAnswer(r) {
    let b = lastAnswer;
    lastAnswer = null;
    if (!b) { try { b = await r.json(); } catch (e) { b = null; } }
    if (r.status === 503 || r.status === 502) return showPickupOffline();
    if (r.status !== 200 || !b) {
      const msg = b && b.error ? b.error.message : "";
      return paintPickup("refuse", "pickup.refused", msg, "");
    }
    const earlier = (b.earlier || []).map((it) => t("pickup.earlier", { items: itemText([it]), gate: it.gate_name || it.gate_id, time: fmtTime(it.at) }));
    if (b.handed_out && b.handed_out.length) {
      return paintPickup("admit", "pickup.handed_out", itemText(b.handed_out), earlier.join(" \u00B7 "));
    }
    return paintPickup("refuse", "pickup.all_earlier", earlier.join(" \u00B7 "), "");
  }

  function showPickupOffline() {
    return paintPickup("attention", "pickup.offline", t("pickup.offline_reason"), "");
  }

  function paintPickup(kind, titleKey, reason, detail) {
    clearTimeout(timer);
    const v = $("verdict");
    v.dataset.kind = kind;
    v.dataset.verdict = titleKey;
    $("v-icon").textContent = ICON[kind];
    $("v-title").textContent = t(titleKey);
    $("v-reason").textContent = reason;
    $("v-detail").textContent = detail;
    $("v-banner").hidden = true;
    $("v-source").textContent = "";
    stats.shown.push({ verdict: titleKey, own: true, title: $("v-title").textContent, reason: reason, detail: detail });
    if (stats.shown.length > 100) stats.shown.shift();
    signal(kind);
    timer = setTimeout(ready, SHOW_MS[kind] || 4000);
    return painted();
  }

  function ready() {
    const v = $("verdict");
    v.dataset.kind = "ready";
    v.dataset.verdict = "ready";
    $("v-icon").textContent = ICON.ready;
    $("v-title").textContent = t("ready");
    $("v-reason").textContent = pickupDesk ? t("pickup.ready") : camOn ? t("ready_hint") : t("ready_no_camera");
    $("v-detail").textContent = "";
    $("v-source").textContent = "";
    $("v-banner").hidden = !dryRun;
    $("v-banner").textContent = dryRun ? t("dry_run_banner") : "";
  }

  // ---- sound and vibration -----------------------------------------

  let audio = null;
  function unlockAudio() {
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (audio && audio.state === "suspended") audio.resume();
  }
  const TONES = {
    admit: [[880, 0, 0.12], [1320, 0.13, 0.18]],          // rising pair
    refuse: [[220, 0, 0.45]],                             // one low buzz
    attention: [[660, 0, 0.1], [660, 0.18, 0.1], [660, 0.36, 0.1]], // three beeps
  };
  const BUZZ = { admit: [80], refuse: [400], attention: [100, 80, 100, 80, 100] };
  function signal(kind) {
    if (navigator.vibrate) { try { navigator.vibrate(BUZZ[kind] || 0); } catch (e) { /* not allowed */ } }
    if (!audio || audio.state !== "running") return;
    const now = audio.currentTime;
    for (const [f, at, len] of TONES[kind] || []) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.type = kind === "refuse" ? "square" : "sine";
      o.frequency.value = f;
      g.gain.setValueAtTime(0.25, now + at);
      g.gain.exponentialRampToValueAtTime(0.001, now + at + len);
      o.connect(g).connect(audio.destination);
      o.start(now + at);
      o.stop(now + at + len + 0.02);
    }
  }

  // ---- camera: one frame in flight, the newest frame wins ------------

  const canvas = document.createElement("canvas");
  const ctx2d = canvas.getContext("2d", { alpha: false, willReadFrequently: false });

  async function startCamera() {
    const video = $("cam");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      video.srcObject = stream;
      await video.play();
    } catch (e) {
      camOn = false;
      $("camera-toggle").setAttribute("aria-pressed", "false");
      $("v-reason").textContent = t("camera_failed", { error: e && e.name ? e.name : String(e) });
      return;
    }
    camOn = true;
    video.hidden = false;
    $("camera-toggle").setAttribute("aria-pressed", "true");
    ready();
    frameLoop(video);
  }

  function stopCamera() {
    camOn = false;
    const video = $("cam");
    if (video.srcObject) { for (const tr of video.srcObject.getTracks()) tr.stop(); }
    video.srcObject = null;
    video.hidden = true;
    $("camera-toggle").setAttribute("aria-pressed", "false");
    ready();
  }

  function nextVideoFrame(video) {
    if (video.requestVideoFrameCallback) return new Promise((r) => video.requestVideoFrameCallback(() => r()));
    return new Promise((r) => setTimeout(r, 33));
  }

  function toJPEG() {
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  }

  async function frameLoop(video) {
    while (camOn) {
      // Wait for a frame the gate has not seen: the request before this
      // one has been answered, so this is the newest frame, never a queue.
      await nextVideoFrame(video);
      if (!camOn) return;
      if (!video.videoWidth) continue;
      // Signed out, the gate would refuse every frame: send none until
      // staff sign in.
      if (!$("login").hidden) { await new Promise((res) => setTimeout(res, 250)); continue; }
      const t0 = performance.now();
      if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
      }
      ctx2d.drawImage(video, 0, 0);
      const blob = await toJPEG();
      let r;
      try {
        r = await post(pickupDesk ? "/v1/pickup" : "/v1/frames?" + query(), blob, "image/jpeg");
      } catch (e) {
        setConn("lost");
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      stats.frames++;
      if (pickupDesk) {
        // 409: the code the camera just sent; 422 no_code: none in view.
        if (r.status !== 409 && !(r.status === 422 && await noCode(r))) await showPickupAnswer(r);
      } else if (r.status === 200) {
        const res = await r.json();
        const t1 = await show(res, true);
        stats.latencies.push(t1 - t0);
        if (stats.latencies.length > 5000) stats.latencies.shift();
      } else if (r.status >= 500) {
        show({ verdict: "error", at: new Date().toISOString() }, true);
        await new Promise((res) => setTimeout(res, 500));
      } else if (r.status !== 422 && r.status !== 409) {
        await new Promise((res) => setTimeout(res, 500)); // 401, 429: do not spin
      }
      r.body && r.body.cancel && r.status !== 200 && r.body.cancel().catch(() => {});
    }
  }

  // ---- codes: manual entry and keyboard-wedge scanners ---------------

  async function scanCode(code) {
    code = code.trim();
    if (!code || code.length > MAX_CODE) return;
    let r;
    if (pickupDesk) {
      try {
        r = await post("/v1/pickup", JSON.stringify({ code }), "application/json");
      } catch (e) { setConn("lost"); showPickupOffline(); return; }
      await showPickupAnswer(r);
      return;
    }
    try {
      r = await post("/v1/scan?" + query(), JSON.stringify({ code, dry_run: dryRun }), "application/json");
    } catch (e) { setConn("lost"); return; }
    if (r.status === 200) show(await r.json(), true);
    else if (r.status >= 500) show({ verdict: "error", at: new Date().toISOString() }, true);
  }

  let wedge = "";
  let wedgeAt = 0;
  function onKey(ev) {
    const el = document.activeElement;
    if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const now = performance.now();
    if (now - wedgeAt > 1000) wedge = ""; // a pause starts a new code
    wedgeAt = now;
    if (ev.key === "Enter") {
      if (wedge) { ev.preventDefault(); const c = wedge; wedge = ""; scanCode(c); }
      return;
    }
    if (ev.key.length === 1 && wedge.length < MAX_CODE) wedge += ev.key;
  }

  // ---- live state ---------------------------------------------------

  const refused = {};
  function tally(res) {
    if (res.dry_run || KIND[res.verdict] !== "refuse") return;
    refused[res.verdict] = (refused[res.verdict] || 0) + 1;
    drawRefused(refused);
  }
  function drawRefused(counts) {
    const ul = $("s-refused");
    ul.textContent = "";
    for (const v of Object.keys(counts).sort()) {
      if (!counts[v]) continue;
      const li = document.createElement("li");
      li.textContent = "\u2717 " + t("refused." + v) + ": " + counts[v];
      ul.appendChild(li);
    }
  }

  function setConn(state) {
    if (!$("login").hidden) state = "signed_out"; // nothing reaches the page until staff sign in
    const c = $("conn");
    c.dataset.state = state;
    $("conn-text").textContent = t({ online: "online", offline: "offline", idle: "not_syncing", lost: "gate_lost", signed_out: "signed_out" }[state] || "gate_lost");
  }

  function setDirection(dir) {
    direction = dir;
    $("dir-entry").setAttribute("aria-pressed", String(dir === "entry"));
    $("dir-exit").setAttribute("aria-pressed", String(dir === "exit"));
  }

  function applyStatus(st) {
    pickupDesk = st.purpose === "merch_pickup";
    if (st.profile) {
      gateID = st.profile.gate_id;
      // The switch shows only where the profile records both ways; its
      // choice is kept while the profile allows it.
      const both = st.profile.direction === "both";
      $("direction").hidden = !both;
      if (!both) setDirection("");
      else if (!direction) setDirection("entry");
      $("gate-name").textContent = (st.profile.event_name ? st.profile.event_name + " \u00B7 " : "") +
        t(pickupDesk ? "pickup.desk" : "gate", { gate: st.profile.name || gateID });
    }
    if (st.admitted_here !== undefined) $("s-admitted").textContent = String(st.admitted_here);
    $("s-inside").textContent = String(st.inside);
    $("s-outbox").textContent = String(st.outbox);
    if (st.refused) {
      for (const k in st.refused) refused[k] = st.refused[k];
      drawRefused(refused);
    }
    if (st.sync) {
      setConn(st.sync.connected ? "online" : "offline");
      $("s-sync").textContent = st.sync.last_sync ? fmtTime(st.sync.last_sync) : t("never");
    } else {
      setConn("idle");
      $("s-sync").textContent = t("never");
    }
  }

  let stream = null;
  function connectStream() {
    if (stream) stream.close();
    if (!window.EventSource) return;
    stream = new EventSource("/v1/verdicts/stream");
    stream.addEventListener("status", (e) => { try { applyStatus(JSON.parse(e.data)); } catch (x) { /* skip */ } });
    stream.addEventListener("verdict", (e) => {
      let res;
      try { res = JSON.parse(e.data); } catch (x) { return; }
      // This screen's own scans are shown from their answers.
      if (res.source === "http:" + screenID || res.source === "api:" + screenID) return;
      show(res, false);
    });
    stream.onerror = () => setConn("lost");
  }

  // ---- start --------------------------------------------------------

  async function start() {
    await loadCatalogue();
    ready();
    setConn("idle");
    $("manual").addEventListener("submit", (ev) => {
      ev.preventDefault();
      unlockAudio();
      const c = $("code").value;
      $("code").value = "";
      scanCode(c);
    });
    $("login-form").addEventListener("submit", signIn);
    $("camera-toggle").addEventListener("click", () => { unlockAudio(); camOn ? stopCamera() : startCamera(); });
    $("dry-run").addEventListener("click", () => {
      dryRun = !dryRun;
      $("dry-run").setAttribute("aria-pressed", String(dryRun));
      ready();
    });
    $("dir-entry").addEventListener("click", () => { setDirection("entry"); ready(); });
    $("dir-exit").addEventListener("click", () => { setDirection("exit"); ready(); });
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", unlockAudio, { once: true });
    await checkSession();
    connectStream();
    // The camera starts by itself where the browser allows it (a kiosk,
    // or a tablet that granted it before); otherwise the button starts it.
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) startCamera();
  }

  start();
})();

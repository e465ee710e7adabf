// push.js: the "Notify me" toggle. A page that wants it includes
// common.js, then push.js, and has an element with data-push-toggle
// where the toggle goes. Turning it on asks the browser for permission,
// subscribes through the service worker's pushManager with the server's
// VAPID key (GET /v1/push/key) and sends the subscription to
// POST /v1/push/subscriptions; turning it off unsubscribes the browser
// and deletes the server's copy. The service worker must handle the
// push event: sw.js does importScripts("sw-push.js").
"use strict";
(function () {
  const A = window.AdmitOne;
  const SUB = "admitone.push.subscription"; // the server's id of this device's subscription

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // keyBytes turns the base64url VAPID key into the bytes
  // pushManager.subscribe takes.
  function keyBytes(b64) {
    const s = (b64 + "=".repeat((4 - (b64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  }

  // registration waits for the app's service worker, at most a few
  // seconds: without one there is nothing to receive pushes.
  function registration() {
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error("no service worker")), 5000)),
    ]);
  }

  async function subscribe() {
    if ((await Notification.requestPermission()) !== "granted") {
      throw new Error("Notifications are blocked for this site. Allow them in the browser's settings.");
    }
    const reg = await registration();
    const { public_key } = await A.api("GET", "/v1/push/key");
    let sub = await reg.pushManager.getSubscription();
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
    const saved = await A.api("POST", "/v1/push/subscriptions", sub.toJSON());
    localStorage.setItem(SUB, saved.id);
  }

  async function unsubscribe() {
    const id = localStorage.getItem(SUB);
    localStorage.removeItem(SUB);
    try {
      const sub = await (await registration()).pushManager.getSubscription();
      if (sub) await sub.unsubscribe();
    } finally {
      if (id) {
        try {
          await A.api("DELETE", "/v1/push/subscriptions/" + encodeURIComponent(id));
        } catch (e) {
          if (!(e instanceof A.APIError && e.status === 404)) throw e;
        }
      }
    }
  }

  async function subscribed() {
    if (!localStorage.getItem(SUB)) return false;
    try {
      return !!(await (await registration()).pushManager.getSubscription());
    } catch (e) {
      return false;
    }
  }

  function mount(host) {
    const box = A.el("input", { type: "checkbox", id: "push-toggle", role: "switch" });
    const status = A.el("p", { class: "muted", id: "push-status", "aria-live": "polite" });
    box.setAttribute("aria-describedby", "push-status");
    host.replaceChildren(A.el("label", { for: "push-toggle" }, box, " Notify me"), status);
    if (!supported()) {
      box.disabled = true;
      status.textContent = "This browser cannot receive notifications.";
      return;
    }
    if (!A.signedIn()) {
      box.disabled = true;
      status.textContent = "Sign in to get notifications about your orders and events.";
      return;
    }
    subscribed().then((on) => { box.checked = on; });
    box.addEventListener("change", async () => {
      box.disabled = true;
      status.textContent = box.checked ? "Turning notifications on…" : "Turning notifications off…";
      try {
        if (box.checked) {
          await subscribe();
          status.textContent = "This device will be told when an order is confirmed or refunded, an event moves or is cancelled, and when doors open.";
        } else {
          await unsubscribe();
          status.textContent = "Notifications are off on this device.";
        }
      } catch (e) {
        box.checked = !box.checked;
        status.textContent = e.message || "Notifications could not be changed.";
      } finally {
        box.disabled = false;
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-push-toggle]").forEach(mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  A.push = { subscribe, unsubscribe, subscribed };
})();

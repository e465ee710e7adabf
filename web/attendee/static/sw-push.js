// sw-push.js: the service worker's Web Push handlers, for sw.js to load
// with importScripts("sw-push.js"). A push carries JSON
// {id, kind, title, body, url} (notify.Payload); id is the server's
// stable message id. The server may send a message twice after a crash
// (notify's doc.go), so the ids shown are remembered (the last 200) and
// a second arrival is dropped; the notification's tag is the id too, so
// even a race replaces rather than repeats it.
"use strict";
(function () {
  const DB = "admitone-push", STORE = "seen", KEEP = 200;

  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  // firstTime records id and reports whether it was new.
  async function firstTime(id) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, "readwrite");
        const store = tx.objectStore(STORE);
        let fresh = false;
        const get = store.get(id);
        get.onsuccess = () => {
          if (get.result) return;
          fresh = true;
          store.put({ id, at: Date.now() });
          const all = store.getAll();
          all.onsuccess = () => {
            const old = all.result.sort((a, b) => a.at - b.at);
            for (const r of old.slice(0, Math.max(0, old.length - KEEP))) store.delete(r.id);
          };
        };
        tx.oncomplete = () => resolve(fresh);
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  self.addEventListener("push", (event) => {
    let msg;
    try {
      msg = event.data ? event.data.json() : null;
    } catch (e) {
      msg = null;
    }
    if (!msg || typeof msg.id !== "string") return;
    event.waitUntil((async () => {
      let fresh = true;
      try {
        fresh = await firstTime(msg.id);
      } catch (e) {
        fresh = true; // without storage, the tag still keeps one notification per id
      }
      if (!fresh) return;
      await self.registration.showNotification(String(msg.title || "AdmitOne"), {
        body: String(msg.body || ""),
        tag: msg.id,
        data: { url: typeof msg.url === "string" && msg.url.startsWith("/app/") ? msg.url : "/app/" },
      });
    })());
  });

  self.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const url = (event.notification.data && event.notification.data.url) || "/app/";
    event.waitUntil((async () => {
      const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const w of wins) {
        if (new URL(w.url).pathname === url && "focus" in w) return w.focus();
      }
      return self.clients.openWindow(url);
    })());
  });
})();

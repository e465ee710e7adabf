// sw.js: the app's service worker (scope /app/). On install it keeps
// every file of the app (the list the server gives at /app/shell.json),
// then serves them from the cache first, refreshing the cache in the
// background when online, so the app opens in flight mode after one
// visit. API answers (/v1) are never cached here: they carry ticket
// tokens and are sent no-store; the tickets the app keeps offline live in
// IndexedDB (store.js), which only the app's own pages read.
"use strict";
importScripts("/app/sw-push.js"); // Web Push: notifications, duplicates dropped
const CACHE = "admitone-app-v1";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const r = await fetch("/app/shell.json", { cache: "no-store" });
    const shell = await r.json();
    const cache = await caches.open(CACHE);
    await cache.addAll(shell.files);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: true });
    const refresh = fetch(req).then((res) => {
      if (res.ok && res.type === "basic") cache.put(url.pathname === "/app/" ? "/app/" : url.pathname, res.clone());
      return res;
    });
    if (hit) {
      event.waitUntil(refresh.catch(() => {}));
      return hit;
    }
    return refresh;
  })());
});

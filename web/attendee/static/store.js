// store.js: the tickets kept on the device (IndexedDB), so the ticket page
// works in flight mode. Each ticket record is the API's ticket JSON (with
// its token) plus, for a rotating ticket, its rotation secret as the
// holder's rotation route answered it. Nothing here leaves the device.
"use strict";
(function () {
  const DB = "admitone", VERSION = 1;
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, VERSION);
        req.onupgradeneeded = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains("tickets")) db.createObjectStore("tickets", { keyPath: "id" });
          if (!db.objectStoreNames.contains("rotation")) db.createObjectStore("rotation", { keyPath: "ticket_id" });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  function done(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function tx(stores, mode, fn) {
    const db = await open();
    const t = db.transaction(stores, mode);
    const out = fn(...stores.map((s) => t.objectStore(s)));
    await new Promise((resolve, reject) => {
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
    return out;
  }

  // replaceTickets makes the device's tickets exactly list: a ticket the
  // server no longer lists (transferred away) is forgotten with its secret.
  async function replaceTickets(list) {
    const keep = new Set(list.map((t) => t.id));
    await tx(["tickets", "rotation"], "readwrite", (ts, rs) => {
      ts.getAllKeys().onsuccess = (e) => {
        for (const id of e.target.result) if (!keep.has(id)) { ts.delete(id); rs.delete(id); }
      };
      for (const t of list) ts.put(t);
    });
  }

  async function putTicket(t) { await tx(["tickets"], "readwrite", (ts) => ts.put(t)); }

  // forget removes a ticket and its secret (revoked, transferred, refunded).
  async function forget(id) {
    await tx(["tickets", "rotation"], "readwrite", (ts, rs) => { ts.delete(id); rs.delete(id); });
  }

  async function tickets() {
    const db = await open();
    return done(db.transaction("tickets").objectStore("tickets").getAll());
  }

  async function ticket(id) {
    const db = await open();
    return done(db.transaction("tickets").objectStore("tickets").get(id));
  }

  async function putRotation(r) { await tx(["rotation"], "readwrite", (rs) => rs.put(r)); }

  async function rotation(id) {
    const db = await open();
    return done(db.transaction("rotation").objectStore("rotation").get(id));
  }

  self.AdmitOneStore = { replaceTickets, putTicket, forget, tickets, ticket, putRotation, rotation };
})();

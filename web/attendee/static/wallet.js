// wallet.js: what My tickets and the ticket page share: bringing the
// holder's tickets (and the rotation secrets of rotating ones) onto the
// device, and how a ticket's time reads. (common.js registers the
// service worker.)
"use strict";
(function () {
  const A = window.AdmitOne;


  // rotationFor asks the holder's rotation route for a ticket's secret;
  // null when the server has none for it (or no such route).
  async function rotationFor(t) {
    try {
      const r = await A.api("GET", "/v1/tickets/" + encodeURIComponent(t.id) + "/rotation");
      if (!r || !r.secret) return null;
      AdmitOneTOTP.fromBase64URL(r.secret); // refuse a malformed one now, not at the door
      return r;
    } catch (e) {
      if (e instanceof A.APIError && (e.status === 410 || e.status === 404)) return null;
      throw e;
    }
  }

  // sync fetches the holder's tickets, stores them on the device and
  // fetches a rotation secret for each valid rotating ticket that lacks a
  // current one. It throws APIError when the server cannot be reached.
  async function sync() {
    const list = (await A.api("GET", "/v1/tickets")).tickets || [];
    await AdmitOneStore.replaceTickets(list);
    for (const t of list) {
      if (!t.rotating || t.status !== "valid") continue;
      const have = await AdmitOneStore.rotation(t.id);
      if (have && (!have.valid_until || Date.parse(have.valid_until) > Date.now())) continue;
      const r = await rotationFor(t).catch(() => null);
      if (r) await AdmitOneStore.putRotation(Object.assign({}, r, { ticket_id: t.id }));
    }
    return list;
  }

  // when is a ticket's start in the event's time zone.
  function when(t) {
    const opts = { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: t.event.time_zone, timeZoneName: "short" }, opts))
        .format(new Date(t.event.starts_at));
    } catch (e) {
      return new Date(t.event.starts_at).toLocaleString();
    }
  }

  A.wallet = { sync, rotationFor, when };
})();

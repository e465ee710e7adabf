// totp.js: rotating codes computed on the device, offline. RFC 6238 TOTP
// with HMAC-SHA1 (WebCrypto), as crypto.TOTP computes it on the server
// and the gate checks it: counter = floor(unix seconds / period), dynamic
// truncation (RFC 4226 section 5.3), the low `digits` decimal digits.
"use strict";
(function () {
  // fromBase64URL decodes unpadded base64url (the rotation route's
  // "secret") to bytes; anything else throws.
  function fromBase64URL(s) {
    if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("not base64url");
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    const bin = atob(b64);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  // code returns the TOTP of secret (bytes) at unixSeconds.
  async function code(secret, unixSeconds, period, digits) {
    period = Math.max(1, Math.floor(period || 30));
    digits = digits || 6;
    const counter = Math.floor(unixSeconds / period);
    const msg = new Uint8Array(8);
    // 2^53 is enough for any time: split into two 32-bit halves.
    const hi = Math.floor(counter / 0x100000000), lo = counter >>> 0;
    new DataView(msg.buffer).setUint32(0, hi);
    new DataView(msg.buffer).setUint32(4, lo);
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
    const sum = new Uint8Array(await crypto.subtle.sign("HMAC", key, msg));
    const off = sum[sum.length - 1] & 0x0f;
    const v = new DataView(sum.buffer).getUint32(off) & 0x7fffffff;
    return String(v % Math.pow(10, digits)).padStart(digits, "0");
  }

  // msToNext is how long until the period after unixMillis starts.
  function msToNext(unixMillis, period) {
    const p = Math.max(1, Math.floor(period || 30)) * 1000;
    return p - (unixMillis % p);
  }

  self.AdmitOneTOTP = { code, fromBase64URL, msToNext };
})();

// Package gateui is the gate's screen: one page, its script, style and
// string catalogues, embedded in scannerd and served by scanner/gateapi
// at / and /ui/. A phone, tablet or Raspberry Pi kiosk opens the gate's
// address and becomes a scanner: the page sends camera frames to
// POST /v1/frames (one in flight, the newest frame wins), codes typed or
// sent by a keyboard-wedge scanner to POST /v1/scan, and shows every
// verdict of the gate, its own and those of the gate's other lanes
// (GET /v1/verdicts/stream), full screen.
//
// The files under static/ are plain HTML, JavaScript and CSS, with no
// build step and no library: go build needs nothing but Go. Strings live
// in static/i18n/LANG.json, one catalogue per language; the page picks
// one from navigator.languages and falls back to English.
//
// At a merch desk (the status says purpose merch_pickup) the page sends
// codes and frames to POST /v1/pickup instead and shows what the scan
// hands out, where and when the rest went, or "offline: pickup needs the
// server".
//
// # Caveats
//
//   - Every response carries CSP, a tested constant: scripts and styles
//     come only from the gate itself, never inline, so the page cannot be
//     made to run injected script even if a code's text were shown raw
//     (the page sets textContent only).
//   - Browsers give the camera only to a secure context: localhost, or
//     HTTPS off loopback.
//   - The page holds no data; it reads everything through the API, which
//     keeps its own guard (Host, Origin, content type, and sign-in).
package gateui

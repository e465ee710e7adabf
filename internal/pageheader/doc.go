// Package pageheader sets the security headers every answer of
// AdmitOne's web pages carries (the gate's screen in scannerd, the
// attendee app and the organizer's desk in syncserver): the page's
// Content-Security-Policy, no MIME sniffing, no referrer, no framing,
// the browser features the page may use, its caching and, behind TLS,
// HSTS. One place, so the three UIs cannot drift apart on them.
package pageheader

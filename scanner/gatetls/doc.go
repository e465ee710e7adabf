// Package gatetls gives a gate's local API its HTTPS certificate. A
// browser gives a page the camera only in a secure context, and off
// loopback that means HTTPS; a gate on a venue LAN has no public name,
// so it makes a self-signed certificate once (ECDSA P-256) and keeps it
// and its key in its data directory. Staff check the certificate's
// SHA-256 fingerprint, which scannerd prints at start and `scannerd
// status` shows, against what the browser shows before they accept it.
// A real certificate can be given instead (Load).
//
// # Caveats
//
//   - The certificate is valid for Validity (800 days): Apple's
//     platforms refuse a TLS server certificate valid for more than 825
//     days, even one the user accepted. Within RenewBefore of its end it
//     is made anew with the same key, and its fingerprint changes.
//   - Its names and addresses are fixed when it is made; a gate that
//     moves to another address still serves it (browsers warn about a
//     self-signed certificate anyway). Delete CertFile to make a new one.
package gatetls

// Package wallet delivers tickets to phone wallets: signed Apple Wallet
// passes (.pkpass files) and "Add to Google Wallet" links. Both carry the
// ticket's token text ("AT1:...", see package crypto) as a QR code, so a
// gate verifies a wallet ticket exactly as a printed one.
//
// # Apple Wallet
//
// PassSigner.Build makes a .pkpass file: a zip archive of pass.json (an
// eventTicket pass with semantic tags for the event, venue, seat and
// holder), icon and logo images drawn in code in the pass's colors,
// manifest.json with the SHA-1 of every other file, and signature, a
// detached PKCS#7 (CMS) SignedData over manifest.json: SHA-256, signed
// attributes with the signing time, DER, signed by the Pass Type ID
// certificate with Apple's WWDR intermediate in the certificate set
// (github.com/smallstep/pkcs7). The same check Wallet makes is
//
//	openssl smime -verify -binary -inform DER -in signature \
//	    -content manifest.json -CAfile AppleRootCA.pem -purpose any
//
// and VerifyManifest checks the SHA-1s. LoadPassSigner reads the
// certificate, key and WWDR certificate from PEM files.
//
// # Google Wallet
//
// GoogleIssuer.SaveURL returns https://pay.google.com/gp/v/save/<JWT>. The
// JWT (RS256, kid = the service account's private_key_id) has the claims
// iss (service account email), aud "google", typ "savetowallet", iat,
// origins, and a payload of one eventTicketClass (per event and ticket
// type) and one eventTicketObject (the ticket). A static ticket has a
// barcode whose value is the token. A ticket that requires a rotating code
// has a rotatingBarcode instead: valuePattern is the token followed by
// {totp_value_0}, and totpDetails give Google the per-ticket TOTP secret
// (crypto.RotationKey.TicketSecret, Base16) with crypto's parameters
// (HMAC-SHA1, 30 s, 6 digits), so the phone draws the same code a gate
// computes. LoadServiceAccount reads the service account key file.
//
// The JWT is encoded by a small RS256 encoder in this package, not a JWT
// library: only signing is needed, and the libraries write a single "aud"
// as an array by default. Tests verify the links with
// github.com/golang-jwt/jwt/v5.
//
// # Caveats
//
//   - Apple Wallet cannot compute rotating codes, so Build refuses a
//     ticket whose token requires one (ErrRotatingUnsupported): its static
//     code would be refused at the gate as code_expired. Deliver such
//     tickets through Google Wallet or the app.
//   - A Google Wallet link hands the ticket's TOTP secret to Google. The
//     secret only proves a code is current; the token's signature is what
//     admits. Rotating barcodes may need to be enabled for the issuer
//     account by Google before they render.
//   - Passes are not updatable: no webServiceURL is set, so a revoked or
//     changed ticket keeps showing its old pass. The gate decides; resend
//     a pass after a change.
//   - Google stores a class the first time a link naming it is saved and
//     ignores the class in later links; change a class through the REST
//     API. Set OmitClasses when classes are made that way beforehand: a
//     link with its class is about 2.3 kB (1.6 kB without), which some
//     old browsers and mail clients cut.
//   - Times are shown in the event's time zone (TimeZone, an IANA name).
//     time.LoadLocation needs the system's zoneinfo or a binary that
//     imports time/tzdata; without either, Build and SaveURL return an
//     error naming the zone.
//   - A venue at latitude 0, longitude 0 is taken as "no location".
//   - Labels on the Apple pass are English. Wallet localizes dates and
//     times itself.
//   - The PKCS#7 signing time comes from the system clock, so two builds
//     of the same ticket differ in their signature (and zip timestamps).
//   - Apple's manifest uses SHA-1 because Apple specifies it; the
//     signature over the manifest uses SHA-256.
//   - A Pass Type ID certificate arrives from Apple as a .p12 file;
//     convert it to PEM first (openssl pkcs12 -in pass.p12 -nodes, with
//     -legacy for old files), and use the WWDR intermediate that issued it
//     (G4 for certificates made since 2021).
package wallet

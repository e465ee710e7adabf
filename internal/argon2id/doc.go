// Package argon2id hashes secrets (account passwords on the server, the
// staff PIN at a gate) with argon2id and reads and writes the hashes as
// PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
//
// Each user picks its own parameters; a hash carries the ones it was made
// with, so old hashes keep verifying when the parameters change.
//
// # Caveats
//
//   - Parse is strict: version 19 only, each number in one spelling,
//     canonical unpadded base64, and parameters at most 1 GiB, 16 passes
//     and 255 lanes, so a corrupted or planted hash cannot make a
//     verification spend minutes or gigabytes. Anything else is an error
//     whose text never contains the salt or the hash.
package argon2id

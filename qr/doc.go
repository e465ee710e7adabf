// Package qr writes ticket QR codes and reads codes from gate camera frames.
//
// Writing: Encode turns a ticket token into a QR symbol with gozxing's
// encoder and reports the version it needed (AdmitOne tokens are 147 to 154
// characters of QR alphanumeric text: version 6 at error correction level
// M). PNG renders a code as a compact 1-bit black-on-white PNG with the
// standard 4-module quiet zone.
//
// Reading: a Decoder takes camera frames as luminance planes (*image.Gray:
// the Y plane of a JPEG or a YUV420 frame, read in place, any Stride) and
// returns the text, the symbology, the code's corners in the frame and the
// name of the decode pass that found it. It is built on gozxing v0.1.1 but
// does not use its QRCodeReader as is:
//
//   - it binarizes the plane in place, 32 pixels at a time, into reused
//     bit matrices, with gozxing's thresholds adapted to sensor noise;
//   - it runs a cascade of passes, cheapest and likeliest first: a 2x
//     box-downscaled pass on frames of 720p and up, full resolution with a
//     local and then a global threshold, then light-on-dark (phones in dark
//     mode); with Options.Thorough or Still, three more thresholds;
//   - it drives gozxing's finder, alignment, sampling and Reed-Solomon
//     steps itself, so that it can retry the guesses tilted and blurred
//     codes defeat: other symbol sizes, other finder pattern triples, a
//     column scan, an alignment pattern found on the luminance plane, a grid
//     sampled from the luminance plane;
//   - after a hit, it first tries the region around it for the next frames.
//
// BENCHMARKS.md at the repository root has what each pass reads and
// costs, and a comparison with zbar and zxing-cpp on the same frames.
//
// Listed-mode tickets imported from other systems may carry Code 128,
// EAN-13, EAN-8 or ITF barcodes; Options.Formats enables them.
//
// DecodeImage reads still pictures (PNG or JPEG files), adding passes that a
// camera lane cannot afford on every frame.
//
// Package qrtest makes synthetic gate frames for tests and benchmarks.
//
// # Caveats
//
// A Decoder is not safe for concurrent use; use one per camera lane. It
// remembers where the last code was for 15 frames; call Reset if the camera
// moves or frames from another camera are interleaved.
//
// Decode reads the frame in place and keeps no reference to it after it
// returns, so a frame buffer may be reused for the next frame at once.
//
// gozxing panics on some odd inputs (it is a port from Java, where the same
// inputs throw). Decode recovers a panic in any pass, carries on with the
// other passes, and if none finds a code returns an error wrapping
// ErrDecoderPanic. Decode itself never panics, whatever the frame holds; a
// nil or inconsistent *image.Gray gets ErrBadFrame.
//
// Frames without a code are the common case at a gate and the most
// expensive: every pass runs. On the machine of BENCHMARKS.md that is
// about 5 ms of CPU for a 1280x720 frame and 1.5 ms for 640x480, more than
// twice that with Thorough; linear formats add their row scans. A lane
// short of CPU should skip frames, not passes: a ticket is held up for many
// frames.
//
// Codes are read as dark on light first; light-on-dark codes are read only
// by the inverted pass, after all others have failed, unless NoInverted
// turns it off.
//
// gozxing treats its PURE_BARCODE hint as set whenever the key is present,
// even mapped to false, and then skips finder pattern detection. This
// package never passes that hint.
//
// Linear barcodes are read along rows and, on camera frames, along columns:
// a barcode turned more than about 15 degrees from both axes does not read.
// ITF is accepted at 6, 8, 10, 12, 14 and more than 14 digits, gozxing's
// default. A UPC-A code reads as EAN-13 with a leading zero.
//
// Result.Corners are computed from the finder pattern centres and the
// alignment pattern; on strongly tilted codes whose alignment pattern was
// not found they can be off by a module or two.
//
// Encode picks one encoding mode for the whole text, as gozxing does: a
// single lowercase letter in a token moves it from alphanumeric to byte
// mode and to a larger version.
package qr

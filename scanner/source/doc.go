// Package source reads what a gate sees: camera frames and code text from
// folders of pictures, MJPEG and raw YUV camera streams, keyboard-wedge
// scanners and the commands that produce them. Parse turns a --source spec
// into a Source, whose Run sends Inputs (a frame's luminance plane, or a
// code as text) to one lane of package scanner.
//
// # Caveats
//
//   - Camera sources keep only the newest frame the consumer has not taken
//     and count the rest in Stats.Dropped, so a slow decoder sees fresh
//     frames; Config.Lossless turns that off for replaying a recording.
//   - A frame or image over MaxSide or MaxPixels and a line over MaxLine
//     are refused and counted in Stats.Rejected; an MJPEG frame over
//     MaxJPEG is skipped like garbage (Stats.SkippedBytes). A crafted
//     header cannot make the gate allocate gigabytes.
//   - Commands are started without a shell (cmd: arguments are split on
//     white space with simple quoting) and are interrupted, then killed,
//     with their process group when Run ends.
//   - A dirwatch: source does not deliver files present when Run starts.
package source

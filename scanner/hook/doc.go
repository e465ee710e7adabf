// Package hook runs a command for every verdict a gate gives: scannerd
// run's --on-verdict, which opens a turnstile's relay, switches a light or
// pulses a GPIO line with gpioset. The command sees the verdict in
// environment variables (see Env for the list) and runs beside the lanes,
// never in them: a Hook watches the engine's scanner.Feed through a
// bounded buffer and runs at most Jobs commands at once, so a slow or
// hanging command never delays a verdict.
//
// The command line is split like a cmd: source's (source.SplitArgs): no
// shell unless it names one, as in sh -c '...'.
//
// # Caveats
//
//   - A verdict that arrives while the buffer is full is dropped: its
//     command never runs. Drops are logged and counted in
//     scannerd_hook_dropped_total. A relay that must fire for every
//     admitted person needs a command that finishes well within the gap
//     between two people.
//   - A command still running at its Timeout is killed with its whole
//     process group (on Unix), and logged. After a command exits, its
//     output pipes are closed within a second: work it leaves running in
//     the background must redirect its output (cmd >/dev/null 2>&1 &).
//   - ADMITONE_ADMIT is 1 only for an accepted verdict that was recorded:
//     a supervisor's dry-run lookup of a valid ticket gives
//     ADMITONE_VERDICT=accepted with ADMITONE_ADMIT=0, so a relay that
//     checks ADMITONE_ADMIT never opens for a lookup.
//   - The command inherits scannerd's environment without the variables
//     that start with ADMITONE_ (such as ADMITONE_API_TOKEN): it gets the
//     verdict's, not the gate's secrets.
//   - ADMITONE_SOURCE and ADMITONE_DRY_RUN are also the environment names
//     of scannerd's --source and --dry-run flags: a command that runs
//     scannerd itself must clear them (env -u ADMITONE_SOURCE ...).
//   - With Jobs above 1, commands for consecutive verdicts may overlap and
//     finish out of order; the default, 1, runs them one after another.
package hook

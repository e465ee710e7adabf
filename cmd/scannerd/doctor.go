package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
	ticketsync "github.com/admitone/admitone/sync"
)

type doctorOptions struct {
	sources    []string
	sourceWait time.Duration
	minFree    int64
	maxSkew    time.Duration
	timeout    time.Duration
	offline    bool
}

func newDoctorCmd(g *globalOptions) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the gate: its store, free disk, the server and the clock, and that each --source gives frames",
		Long: `Doctor checks what a gate needs to scan and prints, per check, OK, WARN
or FAIL with what is wrong and how to fix it; it exits non-zero if any
check fails. It changes nothing: the store is opened read-only.

  store    gate.db opens and passes the checks "scannerd run" makes; the
           gate was enrolled or given a bundle
  disk     free space in the data directory (--min-free)
  server   an enrolled gate's server answers and accepts its credential
  clock    this machine's clock against the server's (--max-clock-skew)
  source   each --source, as "scannerd run" takes them, gives frames (or,
           for lines: and dirwatch:, opens) within --source-wait

Give it the configuration the service runs with, e.g.
  sudo sh -c 'set -a; . /etc/default/scannerd; exec scannerd doctor $SCANNERD_ARGS'
Stop a running scannerd first: it holds the store and the cameras.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printChecks(cmd.OutOrStdout(), runDoctor(cmd.Context(), g, o, cmd.InOrStdin()))
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.sources, "source", nil, `a source to check, as "scannerd run --source" takes it (repeatable)`)
	f.DurationVar(&o.sourceWait, "source-wait", 5*time.Second, "how long each source may take to give its first frames")
	f.Int64Var(&o.minFree, "min-free", 200<<20, "warn under this many bytes free in the data directory (fail under a tenth of it)")
	f.DurationVar(&o.maxSkew, "max-clock-skew", 5*time.Second, "fail if the clock differs from the server's by more")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on the server after this long")
	f.BoolVar(&o.offline, "offline", false, "do not contact the server (as run --offline)")
	return cmd
}

// level is a check's outcome.
type level int

const (
	levelOK level = iota
	levelWarn
	levelFail
)

func (l level) String() string { return [...]string{"OK", "WARN", "FAIL"}[l] }

// check is one line of the doctor's report: what it found and, unless
// OK, how to fix it.
type check struct {
	name  string
	level level
	what  string
	fix   string
}

// printChecks writes the report and returns an error if a check failed.
func printChecks(w io.Writer, checks []check) error {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.name))
	}
	var counts [3]int
	for _, c := range checks {
		counts[c.level]++
		fmt.Fprintf(w, "%-4s  %-*s  %s\n", c.level, width, c.name, c.what)
		if c.fix != "" && c.level != levelOK {
			fmt.Fprintf(w, "      %*s  fix: %s\n", width, "", c.fix)
		}
	}
	fmt.Fprintf(w, "%d OK, %d WARN, %d FAIL\n", counts[levelOK], counts[levelWarn], counts[levelFail])
	if counts[levelFail] > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", counts[levelFail], len(checks))
	}
	return nil
}

func runDoctor(ctx context.Context, g *globalOptions, o *doctorOptions, stdin io.Reader) []check {
	s, storeCheck := doctorStore(g.dataDir)
	checks := []check{storeCheck, doctorDisk(g.dataDir, o.minFree)}
	if s != nil {
		checks = append(checks, doctorServer(ctx, s, g.dataDir, o)...)
		s.Close()
	}
	return append(checks, doctorSources(ctx, o, stdin)...)
}

// setUpFix says how to give a gate its store.
func setUpFix(dir string) string {
	return fmt.Sprintf("check --data-dir (ADMITONE_DATA_DIR), then enrol the gate: scannerd enroll --data-dir %s --server URL --code CODE "+
		"(a code from the organizer), or import a bundle: scannerd init --data-dir %s --trust KEY, then scannerd import --data-dir %s BUNDLE "+
		"(for the service, as its user: sudo -u scannerd ...)", dir, dir, dir)
}

// doctorStore opens the store read-only; it returns it open when it
// could be read.
func doctorStore(dir string) (*scanner.Store, check) {
	c := check{name: "store"}
	path := filepath.Join(dir, scanner.StoreFile)
	s, err := scanner.OpenStore(dir, scanner.StoreOptions{ReadOnly: true})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.level, c.what, c.fix = levelFail, "no store: "+path+" does not exist", setUpFix(dir)
		return nil, c
	case errors.Is(err, scanner.ErrDamaged):
		c.level, c.what = levelFail, err.Error()+"; the gate will not scan with it"
		c.fix = fmt.Sprintf("scannerd status --data-dir %s saves the check-ins it had not uploaded to outbox-export-*.jsonl (give that to the organizer); "+
			"then move %s aside (keep it until the event is over) and re-enrol (scannerd enroll --data-dir %s --server URL --code CODE, a new code) "+
			"or re-import (scannerd init --data-dir %s --trust KEY, then scannerd import --data-dir %s BUNDLE)", dir, path, dir, dir, dir)
		return nil, c
	case errors.Is(err, scanner.ErrInUse):
		c.level, c.what = levelWarn, path+" is held by a running scannerd: store, server and clock not checked"
		c.fix = "stop it to check them (sudo systemctl stop scannerd, then scannerd doctor, then sudo systemctl start scannerd)"
		return nil, c
	case errors.Is(err, fs.ErrPermission):
		c.level, c.what = levelFail, err.Error()
		c.fix = "run the doctor as the gate's user (sudo -u scannerd scannerd doctor ...) or as root"
		return nil, c
	case err != nil:
		c.level, c.what, c.fix = levelFail, err.Error(), "check "+path+" and the disk it is on"
		return nil, c
	}
	p, ok := s.Profile()
	if !ok {
		c.level, c.what, c.fix = levelFail, path+" has no gate profile: the gate was neither enrolled nor given a bundle", setUpFix(dir)
		return s, c
	}
	st, err := s.Status()
	if err != nil {
		c.level, c.what, c.fix = levelFail, "read "+path+": "+err.Error(), "check "+path+" and the disk it is on"
		return s, c
	}
	origin := "from an imported bundle"
	if sc, enrolled, err := s.SyncConfig(); err == nil && enrolled {
		origin = "enrolled with " + sc.Server
	}
	c.what = fmt.Sprintf("%s: gate %s of event %s, %s; %d tickets, %d revocations, %d check-ins, %d waiting for upload",
		path, p.GateID, p.Event, origin, st.Tickets, st.Revocations, st.Checkins, st.Outbox)
	return s, c
}

// doctorDisk checks the free space where the store is written.
func doctorDisk(dir string, minFree int64) check {
	c := check{name: "disk"}
	at := dir
	for {
		if _, err := os.Stat(at); err == nil || filepath.Dir(at) == at {
			break
		}
		at = filepath.Dir(at)
	}
	free, err := freeBytes(at)
	if err != nil {
		c.level, c.what, c.fix = levelWarn, "free space in "+at+" unknown: "+err.Error(), "check it with df -h "+at
		return c
	}
	c.what = fmt.Sprintf("%d MB free in %s", free>>20, at)
	fix := fmt.Sprintf("free space on the volume of %s (old outbox-export-*.jsonl files there once handed over, the journal: "+
		"sudo journalctl --vacuum-size=100M), or move the data directory to a bigger one", at)
	switch {
	case free < minFree/10:
		c.level, c.what, c.fix = levelFail, c.what+": check-ins may soon fail to be recorded", fix
	case free < minFree:
		c.level, c.what, c.fix = levelWarn, fmt.Sprintf("%s, under %d MB", c.what, minFree>>20), fix
	}
	return c
}

// doctorServer checks an enrolled gate's server, credential and clock.
func doctorServer(ctx context.Context, s *scanner.Store, dir string, o *doctorOptions) []check {
	c := check{name: "server"}
	sc, enrolled, err := s.SyncConfig()
	switch {
	case err != nil:
		c.level, c.what, c.fix = levelFail, "read the enrolment: "+err.Error(), "re-enrol: scannerd enroll --data-dir "+dir+" --server URL --code CODE"
		return []check{c}
	case !enrolled:
		c.what = "not enrolled: the gate works from imported bundles, with no server to sync with"
		return []check{c}
	case sc.Credential == "":
		c.level, c.what, c.fix = levelFail, "enrolled with "+sc.Server+" but holds no credential", "re-enrol: scannerd enroll --data-dir "+dir+" --server "+sc.Server+" --code CODE"
		return []check{c}
	case o.offline:
		c.what = "enrolled with " + sc.Server + "; not contacted (--offline)"
		return []check{c}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client := &ticketsync.Client{Server: sc.Server, Credential: sc.Credential, Store: s}
	welcome, rtt, err := client.Probe(ctx)
	switch {
	case errors.Is(err, ticketsync.ErrGateRevoked):
		c.level, c.what = levelFail, sc.Server+" refused this gate's credential: the gate was revoked or deleted"
		c.fix = "the gate scans on offline; ask the organizer for a new enrolment code and re-enrol: scannerd enroll --data-dir " + dir + " --server " + sc.Server + " --code CODE"
		return []check{c}
	case err != nil:
		c.level, c.what = levelFail, "cannot reach "+sc.Server+": "+err.Error()
		c.fix = "check this gate's network to " + sc.Server + " (cable or Wi-Fi, DNS, firewall, proxy); meanwhile the gate scans offline and queues check-ins for upload"
		return []check{c}
	}
	c.what = fmt.Sprintf("%s accepts gate %s (event %s), log head %d, round trip %s", sc.Server, welcome.GateID, welcome.EventID, welcome.Head, rtt.Round(time.Millisecond))
	if welcome.Version >= ticketsync.StatusVersion {
		c.what += "; it takes the gate's health reports (status frames)"
	} else {
		c.what += "; it predates gate health reports: the organizers' gate panel shows this gate's connection only"
	}
	return []check{c, clockCheck(time.Since(welcome.ServerTime)-rtt/2, o.maxSkew)}
}

// clockCheck judges skew, this machine's clock minus the server's.
func clockCheck(skew, maxSkew time.Duration) check {
	c := check{name: "clock"}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	c.what = fmt.Sprintf("%s %s the server's", skew.Abs().Round(time.Millisecond), dir)
	if skew.Abs() > maxSkew {
		c.level, c.what = levelFail, fmt.Sprintf("this clock is %s (more than %s): tickets' validity and rotating codes are judged by it", c.what, maxSkew)
		c.fix = "turn on network time (sudo timedatectl set-ntp true) and check it with timedatectl; a Raspberry Pi has no battery clock and needs network time after each boot"
	}
	return c
}

// doctorSources runs every source at once for at most o.sourceWait.
func doctorSources(ctx context.Context, o *doctorOptions, stdin io.Reader) []check {
	if len(o.sources) == 0 {
		return []check{{name: "sources", what: "none given (the gate scans through its HTTP API only; give --source as for run to check one)"}}
	}
	checks := make([]check, len(o.sources))
	var wg gosync.WaitGroup
	for i, spec := range o.sources {
		wg.Go(func() { checks[i] = probeSource(ctx, spec, stdin, o.sourceWait) })
	}
	wg.Wait()
	return checks
}

// wantFrames is how many inputs show that a source works.
const wantFrames = 3

// probeSource runs one source until it gave wantFrames inputs, ended or
// wait passed.
func probeSource(ctx context.Context, spec string, stdin io.Reader, wait time.Duration) check {
	kind := sourceKind(spec)
	c := check{name: "source " + spec}
	src, err := source.Config{Stdin: stdin, Logger: slog.New(slog.DiscardHandler)}.Parse(spec)
	if err != nil {
		c.level, c.what, c.fix = levelFail, err.Error(), "see scannerd run --help for the forms a source takes"
		return c
	}
	c.name = "source " + src.Name()
	passive := kind == "lines" || kind == "dirwatch" // gives only when someone scans
	runCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	in := make(chan source.Input, 1)
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- src.Run(runCtx, in); close(in) }()
	var frames, codes int
	for input := range in {
		if input.Frame != nil {
			frames++
		} else {
			codes++
		}
		if !passive && frames+codes >= wantFrames {
			cancel()
		}
	}
	err = <-errc
	took := time.Since(start).Round(10 * time.Millisecond)
	if ctx.Err() == nil && runCtx.Err() != nil && errors.Is(err, runCtx.Err()) {
		err = nil // stopped by the doctor, not failed
	}
	dropped := source.StatsOf(src).Dropped
	fix := sourceFix(kind)
	switch {
	case err != nil:
		c.level, c.what, c.fix = levelFail, err.Error(), fix
	case codes == 0 && frames > 0:
		c.what = fmt.Sprintf("%d frames in %s (%d more dropped while busy)", frames, took, dropped)
	case frames+codes > 0:
		c.what = fmt.Sprintf("%d codes and %d frames in %s", codes, frames, took)
	case passive:
		c.what = fmt.Sprintf("opened; nothing scanned in %s (scan a ticket during the check to see it counted)", took)
	case runCtx.Err() == nil:
		c.level, c.what, c.fix = levelFail, fmt.Sprintf("ended after %s without a frame or code", took), fix
	default:
		c.level, c.what, c.fix = levelFail, fmt.Sprintf("gave no frame in %s", took), fix
	}
	return c
}

// sourceKind is the kind of a --source spec: its part before the first
// colon, after any NAME= (source.Config.Parse's grammar); "file" for a
// plain path.
func sourceKind(spec string) string {
	if name, rest, ok := strings.Cut(spec, "="); ok && isSourceName(name) {
		spec = rest
	}
	kind, _, ok := strings.Cut(spec, ":")
	if !ok || kind == "" || strings.ContainsFunc(kind, func(r rune) bool { return !('a' <= r && r <= 'z') }) {
		return "file"
	}
	return kind
}

// isSourceName reports whether s is a source name: a letter, then up to
// 31 letters, digits, '-' or '_'.
func isSourceName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i, r := range s {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '-' || r == '_')) {
			return false
		}
	}
	return true
}

// sourceFix says how to make a source of kind work.
func sourceFix(kind string) string {
	switch kind {
	case "cmd", "mjpeg", "yuv":
		return "run the camera command by hand and see that it writes a stream (rpicam-hello --list-cameras, v4l2-ctl --list-devices); " +
			"check the camera is connected, not in use by another program (a running scannerd: stop it first) and that the user is in the video group"
	case "lines":
		return "check the scanner is plugged in, that the device exists (ls -l /dev/ttyACM*) and that the user may read it (the dialout group)"
	default:
		return "check the path exists and holds pictures (.jpg, .png) or .txt code lists the user may read"
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for scanned pictures
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
)

type scanOptions struct {
	dryRun bool
}

func newScanCmd(g *globalOptions) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan FILE|DIR|- ...",
		Short: "Scan pictures (PNG, JPEG) or token text and print one JSON verdict per input",
		Long: `Scan checks tickets like a gate lane would and prints one JSON object per
picture or text line: verdict, reason, ticket_id when a token was read.
A PNG or JPEG file is decoded for a code; a .txt file or - (standard input)
holds one code per line; a directory is scanned file by file in name order.
With --dry-run nothing is recorded: a supervisor looking a ticket up.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openStore(1)
			if err != nil {
				return err
			}
			defer s.Close()
			profile, ok := s.Profile()
			if !ok {
				return scanner.ErrNotConfigured
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			sc := &stillScanner{
				engine: &scanner.Engine{Store: s, Log: log},
				dec:    scanner.NewQRDecoder(profile.Mode == bundle.ModeListed, true),
				enc:    json.NewEncoder(cmd.OutOrStdout()),
				dryRun: o.dryRun,
			}
			for _, arg := range args {
				if err := sc.scanArg(arg, cmd.InOrStdin()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "check without recording a check-in")
	return cmd
}

// stillScanner scans files and text one input at a time.
type stillScanner struct {
	engine *scanner.Engine
	dec    scanner.FrameDecoder
	enc    *json.Encoder
	dryRun bool
}

func (s *stillScanner) scanArg(arg string, stdin io.Reader) error {
	if arg == "-" {
		return s.scanLines(stdin, "stdin")
	}
	st, err := os.Stat(arg)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return s.scanFile(arg)
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && scannableExt(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if err := s.scanFile(filepath.Join(arg, n)); err != nil {
			return err
		}
	}
	return nil
}

func scannableExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".txt":
		return true
	}
	return false
}

func (s *stillScanner) scanFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".txt") {
		return s.scanLines(f, path)
	}
	img, _, err := image.Decode(io.LimitReader(f, 64<<20))
	if err != nil {
		return s.emit(malformed(path, fmt.Sprintf("%s is not a readable PNG or JPEG picture: %v", path, err)))
	}
	text, ok := s.dec.DecodeText(scanner.LumaOf(img))
	if !ok {
		return s.emit(malformed(path, "no QR code or barcode found in "+path))
	}
	return s.check(text, path)
}

func (s *stillScanner) scanLines(r io.Reader, source string) error {
	br := bufio.NewScanner(r)
	br.Buffer(make([]byte, 0, 4096), 64<<10)
	for br.Scan() {
		line := strings.TrimSpace(br.Text())
		if line == "" {
			continue
		}
		if err := s.check(line, source); err != nil {
			return err
		}
	}
	if err := br.Err(); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	return nil
}

func (s *stillScanner) check(code, source string) error {
	res, err := s.engine.Check(code, scanner.CheckOptions{DryRun: s.dryRun, Source: source})
	if err != nil {
		return err
	}
	return s.emit(res)
}

func (s *stillScanner) emit(r scanner.Result) error { return s.enc.Encode(r) }

func malformed(source, reason string) scanner.Result {
	return scanner.Result{Verdict: scanner.Malformed, Reason: reason, Source: source, At: time.Now().UTC().Format(time.RFC3339Nano)}
}

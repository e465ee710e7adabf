package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
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
holds one code per line; a directory is scanned file by file in name order
(unreadable files in it are reported on standard error and skipped).
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
			lane := &scanner.Lane{
				Engine:       &scanner.Engine{Store: s},
				Decoder:      scanner.NewQRDecoder(scanner.QRDecoderOptions{Listed: profile.Mode == bundle.ModeListed, Still: true}),
				RepeatWindow: -1, // every picture is its own scan
				DryRun:       o.dryRun,
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, arg := range args {
				if err := scanArg(cmd, arg, lane, enc, log); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "check without recording a check-in")
	return cmd
}

// scanArg scans one argument through the same sources `run` uses, one
// input at a time.
func scanArg(cmd *cobra.Command, arg string, lane *scanner.Lane, enc *json.Encoder, log *slog.Logger) error {
	spec := "file:" + arg
	if arg == "-" {
		spec = "lines:-"
	}
	src, err := source.Config{Stdin: cmd.InOrStdin(), Logger: log}.Parse(spec)
	if err != nil {
		return err
	}
	in := make(chan source.Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(cmd.Context(), in); close(in) }()
	var storeErr error
	for input := range in {
		if storeErr != nil {
			continue // drain so the source can end
		}
		res, err := lane.Handle(input)
		switch {
		case err != nil:
			storeErr = err
		case !res.Decoded:
			storeErr = enc.Encode(malformed(input.Source, "no QR code or barcode found in "+input.Source))
		default:
			storeErr = enc.Encode(res.Result)
		}
	}
	srcErr := <-errc
	if storeErr != nil {
		return storeErr
	}
	if srcErr != nil && !errors.Is(srcErr, io.ErrUnexpectedEOF) {
		// A single unreadable picture is a verdict, not a failure.
		return enc.Encode(malformed(arg, fmt.Sprintf("cannot read %s: %v", arg, srcErr)))
	}
	return srcErr
}

func malformed(source, reason string) scanner.Result {
	return scanner.Result{Verdict: scanner.Malformed, Reason: reason, Source: source, At: time.Now().UTC().Format(time.RFC3339Nano)}
}

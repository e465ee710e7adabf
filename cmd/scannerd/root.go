package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/scanner"
)

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	dataDir  string
	logLevel string
	logJSON  bool
}

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "scannerd",
		Short:         "AdmitOne gate daemon: scan tickets offline, record check-ins durably",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return cliconf.ApplyEnv(cmd.Flags())
		},
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "scannerd-data", "gate data directory (env ADMITONE_DATA_DIR)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error (env ADMITONE_LOG_LEVEL)")
	root.PersistentFlags().BoolVar(&g.logJSON, "log-json", false, "log JSON instead of text (env ADMITONE_LOG_JSON)")
	root.AddCommand(newInitCmd(g), newImportCmd(g), newScanCmd(g), newRunCmd(g), newStatusCmd(g), newDemoCmd(g), newEnrollCmd(g),
		newPINCmd(g), newDoctorCmd(g))
	return root
}

func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	return logging.New(w, g.logLevel, g.logJSON)
}

func (g *globalOptions) openStore(lanes int) (*scanner.Store, error) {
	s, err := scanner.OpenStore(g.dataDir, scanner.StoreOptions{Lanes: lanes})
	if errors.Is(err, scanner.ErrDamaged) {
		return nil, damagedStore(g.dataDir, err)
	}
	return s, err
}

// damagedStore saves what can be read of a damaged store's outbox (the
// check-ins the server has not had) next to it and says how to recover.
func damagedStore(dir string, damage error) error {
	db := filepath.Join(dir, scanner.StoreFile)
	var saved string
	f, err := os.CreateTemp(dir, "outbox-export-"+time.Now().UTC().Format("20060102T150405Z")+"-*.jsonl")
	if err == nil {
		export := f.Name()
		var n int
		n, err = scanner.ExportOutbox(db, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		switch {
		case err == nil && n == 0:
			os.Remove(export)
			saved = "No check-in waiting for upload could be read from it."
		case err == nil:
			saved = fmt.Sprintf("%d check-ins it had not uploaded yet were saved to %s: give that file to the organizer.", n, export)
		}
	}
	if err != nil {
		saved = fmt.Sprintf("Its outbox could not be exported (%v).", err)
	}
	return fmt.Errorf(`%w
This gate will not scan with a damaged store. %s
To recover, move %s aside (keep it until the event is over), then either
  re-enrol: scannerd enroll --data-dir %s --server URL --code CODE (a new enrolment code from the organizer), or
  re-import: scannerd init --data-dir %s --trust KEY, then scannerd import --data-dir %s BUNDLE`,
		damage, saved, db, dir, dir, dir)
}

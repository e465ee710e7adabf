package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/cliconf"
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
	root.AddCommand(newInitCmd(g), newImportCmd(g), newScanCmd(g), newRunCmd(g), newStatusCmd(g), newDemoCmd(g), newEnrollCmd(g))
	return root
}

func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.logJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func (g *globalOptions) openStore(lanes int) (*scanner.Store, error) {
	return scanner.OpenStore(g.dataDir, scanner.StoreOptions{Lanes: lanes})
}

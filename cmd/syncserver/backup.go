package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/storage/bolt"
)

// errNoBackup is the answer on PostgreSQL, whose backups are its own.
var errNoBackup = errors.New("backup: the server runs on PostgreSQL: back it up with pg_dump (docs/operations.md); syncserver backup copies the embedded store")

func newBackupCmd() *cobra.Command {
	cfg := &serverConfig{}
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the embedded store to FILE, while the server runs (through its admin socket) or not",
		Long: `Backup copies the embedded store (bbolt) of --data-dir as of one
moment, in one read transaction, while purchases and check-ins go on. With
the server running it asks the server through its admin socket; without,
it opens the store itself. The copy goes to FILE.partial first and is
renamed to FILE once complete and synced, so FILE is never half a backup.
Keep seal.key (in the data directory) with the backup, somewhere else: the
store's secrets are sealed with it. syncserver restore puts a backup back.
On PostgreSQL, use pg_dump.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			if cfg.Database != "" {
				return errNoBackup
			}
			start := time.Now()
			n, err := writeBackup(cmd.Context(), cfg, out, func(w io.Writer) (int64, error) {
				if c := cfg.runningServer(); c != nil {
					return c.stream(cmd.Context(), "/backup", struct{}{}, w)
				}
				a, err := cfg.openFor(cmd)
				if err != nil {
					return 0, err
				}
				defer a.Close()
				if a.backend.Backup == nil {
					return 0, errNoBackup
				}
				return a.backend.Backup(w)
			})
			if err != nil {
				return err
			}
			if err := bolt.CheckBackup(out); err != nil {
				return fmt.Errorf("backup written but it does not check: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of %s written to %s: %d bytes in %s, checked\n", cfg.DataDir, out, n,
				time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cfg.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "", "the backup file to write (it must not exist)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// writeBackup writes FILE.partial with write, syncs it and renames it to
// out, which must not exist.
func writeBackup(_ context.Context, _ *serverConfig, out string, write func(io.Writer) (int64, error)) (int64, error) {
	if _, err := os.Stat(out); err == nil {
		return 0, fmt.Errorf("backup: %s exists; give a new file", out)
	}
	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(partial)
		return n, err
	}
	if err := os.Rename(partial, out); err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync()
		d.Close()
	}
	return n, nil
}

func newRestoreCmd() *cobra.Command {
	cfg := &serverConfig{}
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Put a backup (syncserver backup) in place as --data-dir's embedded store; the server must be stopped",
		Long: `Restore checks the backup (its page structure and that it is an
AdmitOne store no newer than this program), then puts it in place as the
store of --data-dir, keeping the store it replaces as syncserver.db.before-restore.
The server must be stopped. The data directory needs the seal.key the
backup was made with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			if cfg.Database != "" {
				return errors.New("restore: the server runs on PostgreSQL: restore with pg_restore or psql (docs/operations.md)")
			}
			if cfg.runningServer() != nil {
				return fmt.Errorf("restore: a server is running on %s: stop it first", cfg.DataDir)
			}
			if err := bolt.Restore(cfg.DataDir, from); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s\n", from, cfg.DataDir)
			return nil
		},
	}
	cfg.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&from, "from", "", "the backup file")
	cmd.MarkFlagRequired("from")
	return cmd
}

// stream posts req to the socket and copies the answer's body to w.
func (c *adminClient) stream(ctx context.Context, route string, req any, w io.Writer) (int64, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	hr, err := http.NewRequestWithContext(ctx, "POST", "http://syncserver"+route, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(hr)
	if err != nil {
		return 0, fmt.Errorf("the server's admin socket %s: %w", c.path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e adminErrorJSON
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			return 0, fmt.Errorf("the server's admin socket %s: status %d", c.path, res.StatusCode)
		}
		return 0, errors.New(e.Error)
	}
	n, err := io.Copy(w, res.Body)
	if err != nil {
		return n, fmt.Errorf("the server's admin socket %s: %w", c.path, err)
	}
	return n, nil
}

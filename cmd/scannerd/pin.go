package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/scanner/gateauth"
)

// staffPINEnv holds a staff PIN for init, enroll and pin set, so that it
// never appears on a command line.
const staffPINEnv = "ADMITONE_STAFF_PIN"

func newPINCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pin",
		Short: "Manage the staff PIN people sign in with at the gate's screen",
		Args:  cobra.NoArgs,
	}
	var file string
	set := &cobra.Command{
		Use:   "set --staff-pin-file FILE|-",
		Short: "Set or change the staff PIN (stored as an argon2id hash in the data directory)",
		Long: `Set reads the new staff PIN from --staff-pin-file (a file, or - for one
line of standard input) or from ` + staffPINEnv + `, never from the command
line. A PIN is 6 to 32 digits, not one digit repeated and not a run such as
123456. A running scannerd checks the next sign-in against the new PIN;
sessions already open last until they expire or scannerd restarts. A gate
that ran without a PIN needs a restart to start asking for one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pin, ok, err := readStaffPIN(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no PIN: give --staff-pin-file FILE (or - to type it on standard input) or set %s", staffPINEnv)
			}
			if err := gateauth.SetPIN(g.dataDir, pin); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "staff PIN set (%s)\n", filepath.Join(g.dataDir, gateauth.PINFile))
			return nil
		},
	}
	addStaffPINFlag(set, &file)
	cmd.AddCommand(set)
	return cmd
}

func addStaffPINFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVar(file, "staff-pin-file", "", "file holding the staff PIN, or - for standard input (or env "+staffPINEnv+")")
}

// readStaffPIN reads a staff PIN from file ("-": the first line of
// stdin) or, with file empty, from ADMITONE_STAFF_PIN; false if neither
// is given. It checks the PIN policy. Errors never contain the PIN.
func readStaffPIN(file string, stdin io.Reader) (string, bool, error) {
	var pin string
	switch {
	case file == "-":
		line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("staff PIN from standard input: %w", err)
		}
		pin = line
	case file != "":
		b, err := fileutil.ReadLimited(file, 1024)
		if err != nil {
			return "", false, fmt.Errorf("--staff-pin-file: %w", err)
		}
		pin = string(b)
	default:
		v, ok := os.LookupEnv(staffPINEnv)
		if !ok || v == "" {
			return "", false, nil
		}
		pin = v
	}
	pin = strings.TrimRight(pin, "\r\n")
	if err := gateauth.CheckPIN(pin); err != nil {
		return "", false, err
	}
	return pin, true, nil
}

// Package cliconf fills command-line flags from ADMITONE_* environment
// variables, the one configuration rule both programs follow.
package cliconf

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName is the variable for a flag: ADMITONE_ and the flag's name in
// upper case with dashes as underscores (--data-dir: ADMITONE_DATA_DIR).
func EnvName(flag string) string {
	return "ADMITONE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets every flag of fs that the user did not give on the command
// line from its environment variable, if set. A flag given wins.
func ApplyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := EnvName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

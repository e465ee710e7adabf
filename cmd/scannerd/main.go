// Command scannerd is AdmitOne's gate daemon: it decodes ticket codes from
// cameras, handheld scanners and apps, checks them offline against a local
// store, records each check-in durably and shows the verdict.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "scannerd:", err)
		os.Exit(1)
	}
}

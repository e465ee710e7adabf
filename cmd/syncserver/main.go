// Command syncserver is AdmitOne's central server. Before the server runs,
// and at a box office without it, its keys, tickets and bundle commands
// make an issuer key, sign tickets and export gate bundles from a sealed
// key file. While it runs on the embedded database, admin create, keys
// rotate and bundle server-export reach it through its admin socket
// (adminsock.go).
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
	go func() {
		// The first signal asks for a clean stop; restoring the default
		// lets a second one end the process at once.
		<-ctx.Done()
		stop()
	}()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "syncserver:", err)
		os.Exit(1)
	}
}

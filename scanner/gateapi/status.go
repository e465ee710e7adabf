package gateapi

import (
	"io"
	"net/http"

	"github.com/admitone/admitone/scanner"
)

func (a *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	st, err := a.liveStatus()
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if _, ok := a.Store.Profile(); !ok {
		writeError(w, http.StatusServiceUnavailable, "not_configured", scanner.ErrNotConfigured.Error())
		return
	}
	if err := a.Store.Writable(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_failing",
			"check-ins cannot be recorded ("+err.Error()+"); do not admit until the gate is ready again")
		return
	}
	io.WriteString(w, "ready\n")
}

package httpapi

import (
	"net/http"
	"strings"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/analytics"
)

// eventExport streams one of an event's CSV exports (orders.csv,
// tickets.csv, checkins.csv: analytics.WriteExport) to admins and the
// organizers of the event's organization. Once rows are on their way a
// failure can no longer change the status: the connection is cut, so a
// client never takes a cut-off export for a whole one.
func (s *Server) eventExport(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.Analytics == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "analytics are not available on this server"}
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	name := analytics.Export(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
	sw := &startedWriter{ResponseWriter: w}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+eventID+"-"+string(name)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	err = s.Analytics.WriteExport(r.Context(), sw, eventID, name)
	if err != nil && sw.started {
		s.log().Error("event export cut off", "event", eventID, "export", name, "err", err)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Del("Cache-Control")
	}
	return err
}

// startedWriter notes whether anything was written.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

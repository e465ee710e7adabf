package gateapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"net/http"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
)

type scanRequest struct {
	Code   string `json:"code"`
	DryRun bool   `json:"dry_run"`
	// Direction is the scan's direction at a gate for both ways; the
	// query's direction does the same.
	Direction bundle.Direction `json:"direction"`
}

func (a *Server) handleScan(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !contentType(w, r, "application/json") {
		return
	}
	var req scanRequest
	body, ok := readBody(w, r, maxScanBody)
	if !ok {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "request body: "+err.Error())
		return
	}
	if req.Code == "" {
		writeError(w, http.StatusBadRequest, "missing_field", "code is required")
		return
	}
	source := "api"
	if camera := r.URL.Query().Get("camera"); camera != "" {
		if len(camera) > 64 {
			writeError(w, http.StatusBadRequest, "bad_camera", "camera name is limited to 64 bytes")
			return
		}
		source = "api:" + camera // a screen knows its own verdicts in the stream
	}
	dry, ok := dryRunParam(w, r)
	if !ok {
		return
	}
	dir, ok := a.directionParam(w, r, req.Direction)
	if !ok {
		return
	}
	res, err := a.Engine.Check(req.Code, scanner.CheckOptions{DryRun: req.DryRun || dry, Source: source, Direction: dir})
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	a.Metrics.Observe("api", scanner.LaneResult{Result: res, Decoded: true, Latency: time.Since(start)})
	writeJSON(w, http.StatusOK, res)
}

func (a *Server) handleFrame(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !contentType(w, r, "image/jpeg") {
		return
	}
	camera := r.URL.Query().Get("camera")
	if camera == "" {
		camera = "http"
	}
	if len(camera) > 64 {
		writeError(w, http.StatusBadRequest, "bad_camera", "camera name is limited to 64 bytes")
		return
	}
	dryRun, ok := dryRunParam(w, r)
	if !ok {
		return
	}
	dir, ok := a.directionParam(w, r, "")
	if !ok {
		return
	}
	frame, ok := readFrame(w, r)
	if !ok {
		return
	}
	l, err := a.lane(camera)
	if err != nil {
		writeError(w, http.StatusTooManyRequests, "too_many_cameras", err.Error())
		return
	}
	l.mu.Lock()
	l.lane.DryRun, l.lane.Direction = dryRun, dir
	res, err := l.lane.Handle(source.Input{Source: "http:" + camera, Frame: frame, At: start})
	l.mu.Unlock()
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	a.Metrics.Observe("http:"+camera, res)
	switch {
	case !res.Decoded:
		writeError(w, http.StatusUnprocessableEntity, "no_code", "no code found in the frame")
	case res.Repeat:
		writeError(w, http.StatusConflict, "repeat", "same code as the previous scan on this camera; not scanned again")
	default:
		writeJSON(w, http.StatusOK, res.Result)
	}
}

// readFrame reads a request's JPEG camera frame as grey, answering 400
// bad_frame (or the body's size refusal) when it cannot.
func readFrame(w http.ResponseWriter, r *http.Request) (*image.Gray, bool) {
	body, ok := readBody(w, r, maxFrameBody)
	if !ok {
		return nil, false
	}
	frame, err := source.DecodeJPEG(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_frame", "frame is not a usable JPEG: "+err.Error())
		return nil, false
	}
	return frame, true
}

func (a *Server) lane(camera string) (*cameraLane, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l, ok := a.lanes[camera]; ok {
		return l, nil
	}
	if len(a.lanes) >= maxCameras {
		return nil, fmt.Errorf("at most %d cameras may post frames", maxCameras)
	}
	if a.lanes == nil {
		a.lanes = make(map[string]*cameraLane)
	}
	l := &cameraLane{lane: scanner.Lane{Engine: a.Engine, RepeatWindow: a.RepeatWindow}}
	if a.NewDecoder != nil {
		l.lane.Decoder = a.NewDecoder()
	}
	a.lanes[camera] = l
	return l, nil
}

// directionParam reads the scan's direction from the query (or body, the
// JSON request's field; both given must agree) and checks it against the
// gate profile: 422 for a direction the profile does not record. Empty is
// the profile's own direction, an entry at a gate for both.
func (a *Server) directionParam(w http.ResponseWriter, r *http.Request, body bundle.Direction) (bundle.Direction, bool) {
	q := bundle.Direction(r.URL.Query().Get("direction"))
	if q != "" && body != "" && q != body {
		writeError(w, http.StatusBadRequest, "bad_direction", "direction in the query and the body disagree")
		return "", false
	}
	dir := max(q, body)
	if dir == "" {
		return "", true
	}
	c, err := a.Engine.Store.Config()
	if err != nil {
		return dir, true // the engine answers not_configured
	}
	if _, err := c.ScanDirection(dir); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "direction_not_allowed", err.Error())
		return "", false
	}
	return dir, true
}

// dryRunParam reads the query's dry_run: a supervisor's look-up that
// records nothing.
func dryRunParam(w http.ResponseWriter, r *http.Request) (bool, bool) {
	switch r.URL.Query().Get("dry_run") {
	case "", "0", "false":
		return false, true
	case "1", "true":
		return true, true
	}
	writeError(w, http.StatusBadRequest, "bad_dry_run", "dry_run must be 1, true, 0 or false")
	return false, false
}

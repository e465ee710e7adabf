package scanner

import (
	"fmt"
	"image"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner/source"
)

// FrameDecoder finds a code in a frame. It returns ok=false when the frame
// holds none. One decoder serves one lane and need not be safe for
// concurrent use (qr.Decoder keeps per-camera state).
type FrameDecoder interface {
	DecodeText(frame *image.Gray) (text string, ok bool)
}

// DefaultRepeatWindow is how long the same code in front of the same camera
// counts as one scan. Each sighting extends it, so a code held still for a
// minute is still one scan.
const DefaultRepeatWindow = 3 * time.Second

// Lane is one scanning position: a source, its decoder and the shared
// engine. It is not safe for concurrent use; run one goroutine per lane.
type Lane struct {
	Engine  *Engine
	Decoder FrameDecoder
	// RepeatWindow overrides DefaultRepeatWindow; a negative window turns
	// repeat suppression off (scanning a folder of pictures).
	RepeatWindow time.Duration
	// DryRun makes every check a look-up.
	DryRun bool
	// Direction is every check's direction (CheckOptions.Direction);
	// empty is the gate profile's, an entry at a gate for both.
	Direction bundle.Direction

	lastText string
	lastSeen time.Time
}

// LaneResult is what a lane reports for one input.
type LaneResult struct {
	Result
	// Decoded is false when a frame held no code; Repeat is true when the
	// code was the one just scanned by this camera. Neither reaches the
	// engine.
	Decoded bool
	Repeat  bool
	// Latency is from the input's timestamp to the durable verdict.
	Latency time.Duration
}

// Handle processes one input. The error is non-nil only when the store
// failed.
func (l *Lane) Handle(in source.Input) (LaneResult, error) {
	text := in.Text
	if in.Frame != nil {
		if l.Decoder == nil {
			return LaneResult{}, fmt.Errorf("lane %s: frame input but no decoder", in.Source)
		}
		var ok bool
		text, ok = l.Decoder.DecodeText(in.Frame)
		if !ok {
			return LaneResult{}, nil
		}
		at := in.At
		if at.IsZero() {
			at = l.Engine.now()
		}
		window := l.RepeatWindow
		if window == 0 {
			window = DefaultRepeatWindow
		}
		if window > 0 && text == l.lastText && at.Sub(l.lastSeen) < window && !at.Before(l.lastSeen) {
			l.lastSeen = at
			return LaneResult{Decoded: true, Repeat: true}, nil
		}
		l.lastText, l.lastSeen = text, at
	}
	res, err := l.Engine.Check(text, CheckOptions{DryRun: l.DryRun, Source: in.Source, Direction: l.Direction})
	lr := LaneResult{Result: res, Decoded: true}
	if !in.At.IsZero() {
		lr.Latency = time.Since(in.At)
	}
	return lr, err
}

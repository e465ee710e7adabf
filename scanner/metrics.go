package scanner

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are scannerd's Prometheus metrics (scannerd_*).
type Metrics struct {
	Registry *prometheus.Registry
	Scans    *prometheus.CounterVec // by verdict
	Frames   *prometheus.CounterVec // by source and outcome: decoded, empty, repeat
	Dropped  *prometheus.CounterVec // frames a camera source dropped because decoding lagged
	Latency  prometheus.Histogram   // frame or code in to durable verdict out
	Errors   *prometheus.CounterVec // store failures, by kind
	Outbox   prometheus.GaugeFunc   // check-ins not yet acknowledged by the server
}

// NewMetrics registers the metrics in a new registry. outbox reports the
// outbox length for the gauge (nil for none).
func NewMetrics(outbox func() float64) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scannerd_scans_total", Help: "Scans decided, by verdict.",
		}, []string{"verdict"}),
		Frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scannerd_frames_total", Help: "Camera frames processed, by source and outcome (decoded, empty, repeat).",
		}, []string{"source", "outcome"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scannerd_frames_dropped_total", Help: "Camera frames dropped because decoding could not keep up.",
		}, []string{"source"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "scannerd_scan_seconds", Help: "Time from input to durable verdict.",
			Buckets: []float64{.001, .0025, .005, .0075, .01, .015, .02, .03, .05, .1, .25, .5, 1},
		}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scannerd_errors_total", Help: "Failures that prevented a verdict, by kind.",
		}, []string{"kind"}),
	}
	r.MustRegister(m.Scans, m.Frames, m.Dropped, m.Latency, m.Errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, v := range Verdicts {
		m.Scans.WithLabelValues(string(v))
	}
	if outbox != nil {
		m.Outbox = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "scannerd_outbox_pending", Help: "Check-ins not yet acknowledged by the server.",
		}, outbox)
		r.MustRegister(m.Outbox)
	}
	return m
}

// Observe counts one lane result.
func (m *Metrics) Observe(source string, r LaneResult) {
	if m == nil {
		return
	}
	switch {
	case !r.Decoded:
		m.Frames.WithLabelValues(source, "empty").Inc()
		return
	case r.Repeat:
		m.Frames.WithLabelValues(source, "repeat").Inc()
		return
	}
	m.Scans.WithLabelValues(string(r.Verdict)).Inc()
	if r.Latency > 0 {
		m.Latency.Observe(r.Latency.Seconds())
	}
}

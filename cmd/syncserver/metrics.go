package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/storage"
)

// probeTimeout bounds each store read a scrape makes.
const probeTimeout = 2 * time.Second

// registerMetrics adds syncserver's own gauges and counters to reg
// beside the HTTP ones (httpapi) and Go's: what docs/operations.md's
// alert rules watch.
func registerMetrics(reg *prometheus.Registry, svc *services.Services, backend *storage.Backend) {
	probe := func(fn func(context.Context) (float64, error)) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			defer cancel()
			v, err := fn(ctx)
			if err != nil {
				return -1
			}
			return v
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "syncserver_database_up",
			Help: "1 when the store answers a ping within 2 s, 0 when it does not."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
				defer cancel()
				if backend.Ping(ctx) != nil {
					return 0
				}
				return 1
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "syncserver_gates_connected",
			Help: "Gate websocket connections this process holds."},
			func() float64 { return float64(svc.Hub.Connected()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "syncserver_gates_quiet",
			Help: "Gates found quiet (offline, or no scans) during their event's doors-open window at this process's last check (once a minute)."},
			func() float64 { return float64(svc.Hub.QuietGates()) }),
	)
	if backend.Notify != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "syncserver_outbox_pending",
			Help: "Outbox messages (push, email, webhooks, alerts) still to send; -1 when the store did not answer."},
			probe(func(ctx context.Context) (float64, error) {
				n, err := backend.Notify.Pending(ctx)
				return float64(n), err
			})))
	}
	if svc.Outbox != nil {
		sends := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "syncserver_outbox_sends_total",
			Help: "Outbox send attempts by channel (push, email, webhook) and outcome (sent, retry, failed)."},
			[]string{"channel", "outcome"})
		reg.MustRegister(sends)
		svc.Outbox.Outcome = func(channel, outcome string) { sends.WithLabelValues(channel, outcome).Inc() }
	}
}

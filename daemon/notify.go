package daemon

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/notify"
)

// notifier is a running notification service and how to stop it.
type notifier struct {
	routes []config.Route
	stop   func()
}

func newNotifier(ctx context.Context, b *broker.Broker, cfg *config.Config, m *metrics.Metrics, log *slog.Logger) (*notify.Service, error) {
	return notify.New(ctx, b.JS, cfg.Notify, notify.Options{
		Prefix:   cfg.NATS.SubjectPrefix,
		Logger:   log,
		Replicas: cfg.NATS.Replicas,
		Metrics:  m,
	})
}

// runNotifier runs svc until the returned notifier is stopped.
func runNotifier(svc *notify.Service, routes []config.Route, m *metrics.Metrics, log *slog.Logger) *notifier {
	for _, r := range routes {
		m.AddRoute(r.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := svc.Run(ctx); err != nil {
			log.Error("notifier stopped", "error", err)
		}
	})
	return &notifier{routes: routes, stop: func() { cancel(); wg.Wait() }}
}

// startNotifier starts delivering on the routes of cfg, if it has any.
func (d *Daemon) startNotifier(ctx context.Context, cfg *config.Config) error {
	if len(cfg.Notify) == 0 {
		return nil
	}
	svc, err := newNotifier(ctx, d.broker, cfg, d.metrics, d.log)
	if err != nil {
		return err
	}
	n := runNotifier(svc, cfg.Notify, d.metrics, d.log)
	d.mu.Lock()
	d.notifier = n
	d.mu.Unlock()
	return nil
}

// restoreNotifier starts the routes of the configuration in force again
// after a reload failed.
func (d *Daemon) restoreNotifier(ctx context.Context, cfg *config.Config) {
	if err := d.startNotifier(ctx, cfg); err != nil {
		d.log.Error("notifier not restarted: no alert is delivered until a reload or restart succeeds", "error", err)
	}
}

// runningRoutes returns the routes being delivered to, nil when none.
func (d *Daemon) runningRoutes() []config.Route {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.notifier == nil {
		return nil
	}
	return d.notifier.routes
}

// stopNotifier stops delivering, once the deliveries in flight are done.
func (d *Daemon) stopNotifier() {
	d.mu.Lock()
	n := d.notifier
	d.notifier = nil
	d.mu.Unlock()
	if n == nil {
		return
	}
	n.stop()
	for _, r := range n.routes {
		d.metrics.RemoveRoute(r.Name)
	}
}

// sameRoutes compares routes as configured, ignoring where they are in the file.
func sameRoutes(a, b []config.Route) bool {
	strip := func(rs []config.Route) []config.Route {
		out := make([]config.Route, len(rs))
		for i, r := range rs {
			r.Line = 0
			out[i] = r
		}
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// Notify runs only the notifier, against the NATS server of the
// configuration (nats.url, or a running daemon's embedded server), until ctx
// is cancelled: for deployments that separate fetching from delivery.
func Notify(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if len(cfg.Notify) == 0 {
		return diag.List{{File: cfg.Path, Msg: "notify: no routes configured, vigie notify has nothing to deliver"}}
	}
	if err := notify.Check(cfg); err != nil {
		return err
	}
	// The routes' bodies must be defined in the entity files.
	if _, err := cfg.LoadEntities(); err != nil {
		return err
	}
	auth, err := natsconn.Auth(cfg)
	if err != nil {
		return err
	}
	b, err := broker.Open(ctx, broker.Options{URL: natsconn.ServerURL(cfg), Prefix: cfg.NATS.SubjectPrefix, Replicas: cfg.NATS.Replicas, Name: "vigie-notify", Auth: auth, Logger: log})
	if err != nil {
		return err
	}
	defer natsconn.Close(b, 5*time.Second, log)
	svc, err := newNotifier(ctx, b, cfg, nil, log)
	if err != nil {
		return err
	}
	log.Info("vigie notify ready", "routes", len(cfg.Notify), "nats", b.Conn.ConnectedUrlRedacted())
	return svc.Run(ctx)
}

// failedRecordsEvery is how often the daemon counts the failed deliveries
// kept, for vigie_notify_failed_records.
const failedRecordsEvery = 30 * time.Second

// watchFailedRecords keeps vigie_notify_failed_records in step with
// VIGIE_NOTIFY_FAILED, which routes add to and `vigie failures` takes
// from, whichever instance or command does it.
func (d *Daemon) watchFailedRecords(ctx context.Context) {
	t := time.NewTicker(failedRecordsEvery)
	defer t.Stop()
	for {
		d.countFailedRecords(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countFailedRecords sets vigie_notify_failed_records: every configured
// route, at 0 when it has none.
func (d *Daemon) countFailedRecords(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	counts, err := notify.FailedCounts(cctx, d.broker.JS)
	if err != nil {
		d.log.Debug("count failed deliveries", "error", err)
		return
	}
	for _, r := range d.config().Notify {
		counts[r.Name] += 0
	}
	d.metrics.NotifyFailedRecords(counts)
}

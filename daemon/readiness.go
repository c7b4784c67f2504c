package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
)

// The parts of the daemon whose readiness /readyz reports.
const (
	// partRun is the daemon's own: starting (configuration, models,
	// NATS being reached) or stopping.
	partRun = "run"
	// partNATS is NATS: connected, its streams and the job consumer there.
	partNATS = "nats"
)

// Why the daemon's own part is not ready.
var (
	errNotStarted = errors.New("starting")
	errStopping   = errors.New("stopping")
)

// How often the streams and the job consumer are looked up for /readyz:
// while they are there, and after a lookup that failed.
const (
	readyCheckEvery = 10 * time.Second
	readyRetryEvery = time.Second
)

// readiness is what /readyz reports: the configuration loaded, the
// detector built, NATS connected, the streams and the job consumer present.
// It reads the state that Run and watchReadiness keep; a probe asks NATS
// nothing.
func (d *Daemon) readiness() error { return d.readyState.Err() }

// checkReadiness asks watchReadiness to look at NATS now.
func (d *Daemon) checkReadiness() {
	select {
	case d.recheck <- struct{}{}:
	default:
	}
}

// watchReadiness keeps the NATS part of /readyz current until ctx ends: it
// looks at NATS when the connection changes (disconnected, reconnecting,
// connected), when asked to (the job consumer restored), and on a timer,
// every readyCheckEvery while ready and every readyRetryEvery while not.
func (d *Daemon) watchReadiness(ctx context.Context) {
	events := d.broker.Conn.StatusChanged()
	defer d.broker.Conn.RemoveStatusListener(events)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-events:
		case <-d.recheck:
		case <-timer.C:
		}
		err := d.natsReadiness(ctx)
		if ctx.Err() != nil {
			return
		}
		if d.readyState.Set(partNATS, err) {
			if err != nil {
				d.log.Warn("not ready", "reason", err)
			} else {
				d.log.Info("ready again")
			}
		}
		wait := readyCheckEvery
		if err != nil {
			wait = readyRetryEvery
		}
		timer.Reset(wait)
	}
}

// natsReadiness says whether NATS is as the daemon needs it: connected,
// with the streams and the workers' consumer.
func (d *Daemon) natsReadiness(ctx context.Context) error {
	if !d.broker.Conn.IsConnected() {
		return errors.New("NATS not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, s := range []string{broker.ItemsStream, broker.AlertsStream, broker.JobsStream} {
		if _, err := d.broker.JS.Stream(ctx, s); err != nil {
			return fmt.Errorf("stream %s: %w", s, err)
		}
	}
	if _, err := d.broker.JS.Consumer(ctx, broker.JobsStream, fetchConsumer); err != nil {
		return fmt.Errorf("job consumer: %w", err)
	}
	return nil
}

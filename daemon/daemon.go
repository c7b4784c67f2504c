// Package daemon is Vigie's long-running service: it wires the stages of
// internal/pipeline to the schedule, the work queue, the workers, the
// notifier and the status page, and owns their lifecycle. The commands of
// the vigie binary that are not the service live in packages of their own.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/httpapi"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/pipeline"
	"github.com/vigie-news/vigie/internal/readiness"
	"github.com/vigie-news/vigie/internal/schedule"
	"github.com/vigie-news/vigie/internal/status"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/version"
)

// Options tune a daemon; the zero value is fine.
type Options struct {
	Logger *slog.Logger
	// ShutdownTimeout bounds the steps of a shutdown: in-flight fetches get
	// half of it to finish before they are abandoned (and their jobs
	// requeued), draining NATS the other half.
	ShutdownTimeout time.Duration
	// Workers is the number of jobs processed at once (default 8, or
	// fetch.workers in the configuration).
	Workers int
	// JobAckWait is how long a job may go without news from its worker
	// before JetStream gives it to another (default 2m).
	JobAckWait time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Reload, when set, asks for the configuration to be read again (the
	// command line sends SIGHUP here).
	Reload <-chan struct{}
	// WatchConfig is how often the configuration file is checked for
	// changes (default 2s; negative disables).
	WatchConfig time.Duration
}

// Daemon is a running Vigie: build it with New, then call Run.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	ready chan struct{}

	pipe   atomic.Pointer[pipeline.Pipeline]
	broker *broker.Broker
	state  stateStore
	// cons is the job consumer; restoring is held while it is recreated.
	cons      atomic.Pointer[jetstream.Consumer]
	restoring sync.Mutex
	restored  time.Time
	sched     *cron.Cron
	// policy decides when each feed is fetched next.
	policy  schedule.Policy
	metrics *metrics.Metrics
	http    *httpapi.Server
	// page is what the status page reads.
	page pageSource
	// stories gives items their stories; storyPage is what /api/stories
	// reads.
	stories   *story.Assigner
	storyPage storySource
	started   time.Time
	// runCtx is Run's context, for the jobs the scheduler enqueues.
	runCtx context.Context

	// reloading serializes reloads.
	reloading sync.Mutex
	mu        sync.Mutex
	notifier  *notifier
	cfg       *config.Config
	feeds     map[string]config.Feed
	entries   map[string]scheduled
	running   map[string]bool
	// ticks carries the jobs of the scheduler's ticks to gatherTicks.
	ticks chan Job
	// lastErr remembers each feed's last logged failure, so that a failure
	// that repeats is logged once, when it changes.
	lastErr map[string]string

	// readyState is what /readyz answers, kept current by Run and
	// watchReadiness; recheck asks the latter for a check now.
	readyState readiness.State
	recheck    chan struct{}
}

// fetchConsumer is the durable consumer of the job queue.
const fetchConsumer = "vigie-fetch"

// New prepares a daemon for a validated configuration.
func New(cfg *config.Config, o Options) *Daemon {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = cfg.Fetch.Workers
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
	if o.JobAckWait == 0 {
		o.JobAckWait = cfg.Fetch.JobAckWait
	}
	if o.JobAckWait == 0 {
		o.JobAckWait = 2 * time.Minute
	}
	if o.WatchConfig == 0 {
		o.WatchConfig = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Daemon{
		cfg:     cfg,
		opts:    o,
		log:     o.Logger,
		now:     o.Now,
		ready:   make(chan struct{}),
		recheck: make(chan struct{}, 1),
		feeds:   map[string]config.Feed{},
		entries: map[string]scheduled{},
		running: map[string]bool{},
		lastErr: map[string]string{},
		ticks:   make(chan Job, 1024),
		metrics: metrics.New(),
	}
	d.readyState.Set(partRun, errNotStarted)
	return d
}

// Ready is closed once the daemon is serving: NATS up, streams present,
// models loaded, feeds scheduled.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Metrics are the daemon's Prometheus metrics.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// HTTPAddr is the address of the operations listener, once ready ("" when
// disabled).
func (d *Daemon) HTTPAddr() string {
	if d.http == nil {
		return ""
	}
	return d.http.Addr()
}

// NATSURL is the client URL of the NATS server in use, once ready.
func (d *Daemon) NATSURL() string {
	if d.broker == nil {
		return ""
	}
	if d.broker.Server != nil {
		return d.broker.Server.ClientURL()
	}
	return d.broker.Conn.ConnectedUrlRedacted()
}

// config returns the configuration in force.
func (d *Daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Run starts everything, serves until ctx is cancelled, then shuts down:
// the schedule stops, in-flight jobs finish or are requeued, the NATS
// connection is drained and the embedded server's store closed.
func (d *Daemon) Run(ctx context.Context) error {
	d.started = d.now()
	d.runCtx = ctx
	cfg := d.config()
	d.metrics.BuildInfo(version.Version)
	if err := notify.Check(cfg); err != nil {
		return err
	}

	// The operations listener comes first, so that /healthz answers and
	// /readyz says "starting" while the models load.
	if cfg.HTTP.Listen != "" {
		token, err := cfg.HTTPToken()
		if err != nil {
			return err
		}
		d.http = httpapi.New(cfg.HTTP.Listen, d.metrics, d.readiness, d.log)
		d.http.ServeStatus(&d.page, token)
		d.http.ServeStories(&d.storyPage)
		if err := d.http.Start(); err != nil {
			return fmt.Errorf("http.listen: %w", err)
		}
		defer d.stopHTTP()
	}

	// Loading the language models and starting NATS are the two slow steps
	// of a start: do them at once.
	auth, err := natsconn.Auth(cfg)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" && !config.IsLoopback(cfg.NATS.Listen) && !auth.TLS.Enabled() {
		d.log.Warn("the embedded NATS server listens beyond loopback without TLS: credentials and alerts cross the network in clear; set nats.tls", "listen", cfg.NATS.Listen)
	}
	var pipe *pipeline.Pipeline
	var pipeErr error
	var loading sync.WaitGroup
	loading.Go(func() {
		pipe, pipeErr = pipeline.New(cfg, pipeline.Options{Logger: d.log})
	})
	d.broker, err = broker.Open(ctx, broker.Options{
		URL:      cfg.NATS.URL,
		Listen:   cfg.NATS.Listen,
		StoreDir: filepath.Join(cfg.DataDir, "jetstream"),
		Prefix:   cfg.NATS.SubjectPrefix,
		Replicas: cfg.NATS.Replicas,
		Name:     cfg.NATS.Name,
		Auth:     auth,
		Logger:   d.log,
	})
	loading.Wait()
	if err != nil {
		return err
	}
	defer d.closeBroker()
	if pipeErr != nil {
		return pipeErr
	}
	pipe.Now = d.now
	d.pipe.Store(pipe)
	d.state = stateStore{d.broker.Feeds}
	reader := status.NewReader(d.broker.JS, status.Options{Config: d.config, Now: d.now, Logger: d.log})
	d.page.r.Store(reader)
	d.storyPage.js.Store(&d.broker.JS)

	if err := d.ensureJobConsumer(ctx); err != nil {
		return err
	}

	// Stories, before the workers that group items and after them.
	stopStories, err := d.startStories(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopStories()

	// The notifier's consumers must exist before the first alert is
	// published, or a new route would miss it.
	if err := d.startNotifier(ctx, cfg); err != nil {
		return err
	}
	defer d.stopNotifier()

	d.sched = cron.New(cron.WithParser(cronParser{}), cron.WithChain(
		// SkipIfStillRunning must wrap Recover: the other way round, a
		// panic would leave the job marked running for ever.
		cron.SkipIfStillRunning(cronLogger{d.log}),
		cron.Recover(cronLogger{d.log}),
	))
	var first []Job
	d.mu.Lock()
	for _, f := range cfg.Feeds {
		job, err := d.addFeedLocked(f)
		if err != nil {
			d.mu.Unlock()
			return err
		}
		job.Start = true
		first = append(first, job)
	}
	d.mu.Unlock()

	// Workers start once the feeds are known, and get their own context:
	// on shutdown they are first asked to stop taking jobs (take), and only
	// later is their in-flight work cancelled (workCtx).
	take, stopTaking := context.WithCancel(ctx)
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	defer func() {
		stopTaking()
		grace := time.AfterFunc(d.opts.ShutdownTimeout/2, cancelWork)
		workers.Wait()
		grace.Stop()
		cancelWork()
	}()
	for range d.opts.Workers {
		workers.Go(func() { d.work(take, workCtx) })
	}
	// The jobs of the scheduler's ticks are enqueued by one goroutine,
	// those of one instant together; it stops after the scheduler.
	gatherCtx, stopGather := context.WithCancel(ctx)
	var gathering sync.WaitGroup
	gathering.Go(func() { d.gatherTicks(gatherCtx) })
	defer func() { stopGather(); gathering.Wait() }()
	d.sched.Start()
	defer func() { <-d.sched.Stop().Done() }()
	d.enqueueAll(ctx, first)

	var watchers sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer func() { stopWatch(); watchers.Wait() }()
	watchers.Go(func() { d.watchConfig(watchCtx) })
	watchers.Go(func() { d.watchdog(watchCtx) })
	watchers.Go(func() { d.watchFeedStates(watchCtx) })
	watchers.Go(func() { d.watchFailedRecords(watchCtx) })
	watchers.Go(func() { reader.Watch(watchCtx) })
	watchers.Go(func() { d.watchReadiness(watchCtx) })

	d.readyState.Set(partRun, nil)
	close(d.ready)
	_, _ = sd.SdNotify(false, sd.SdNotifyReady)
	d.log.Info("vigie ready", "feeds", len(cfg.Feeds), "nats", d.NATSURL(),
		"embedded_nats", d.broker.Server != nil, "languages", len(cfg.Languages),
		"classifiers", len(pipe.Classifiers), "http", d.HTTPAddr(),
		"startup", d.now().Sub(d.started).Round(time.Millisecond).String())

	// Decoding the language models leaves a few hundred megabytes of
	// garbage; give it back now rather than at the next collections.
	debug.FreeOSMemory()

	<-ctx.Done()
	d.readyState.Set(partRun, errStopping)
	_, _ = sd.SdNotify(false, sd.SdNotifyStopping)
	d.log.Info("vigie stopping")
	// The deferred steps run in reverse: the schedule stops, the workers
	// finish or requeue their jobs, the notifier stops, NATS is drained.
	return nil
}

// watchdog pings systemd's watchdog when the unit asks for it.
func (d *Daemon) watchdog(ctx context.Context) {
	every, err := sd.SdWatchdogEnabled(false)
	if err != nil || every == 0 {
		return
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Alive means not deadlocked: the state lock can be taken. A
			// NATS outage is not a reason to be killed (Vigie waits for
			// NATS), so it is left to /readyz.
			d.mu.Lock()
			d.mu.Unlock() //nolint:staticcheck // an empty critical section is the probe
			_, _ = sd.SdNotify(false, sd.SdNotifyWatchdog)
		}
	}
}

func (d *Daemon) stopHTTP() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = d.http.Shutdown(ctx)
}

func (d *Daemon) closeBroker() { natsconn.Close(d.broker, d.opts.ShutdownTimeout/2, d.log) }

// scheduled is a feed's entry in the scheduler and its schedule.
type scheduled struct {
	id    cron.EntryID
	sched cron.Schedule
}

// cronParser parses feed schedules the way the configuration validates
// them, and aligns @every schedules across instances.
type cronParser struct{}

func (cronParser) Parse(spec string) (cron.Schedule, error) {
	s, err := config.ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return alignedEvery{every.Delay}, nil
	}
	return s, nil
}

// alignedEvery is "@every d" with its ticks at multiples of d since the zero
// time. The scheduler's own counts from each instance's start, so instances
// would enqueue different ticks of the same feed.
type alignedEvery struct{ d time.Duration }

func (e alignedEvery) Next(t time.Time) time.Time { return t.Truncate(e.d).Add(e.d) }

// tickPeriod is the precision of a schedule's ticks, which a job's time is
// truncated to so that every instance names a tick the same way.
func tickPeriod(s cron.Schedule) time.Duration {
	if e, ok := s.(alignedEvery); ok {
		return e.d
	}
	return time.Minute
}

// cronLogger sends the scheduler's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("scheduler: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("scheduler: "+msg, append(kv, "error", err)...)
}

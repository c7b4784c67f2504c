// Package broker connects Vigie to NATS: it starts the embedded nats-server
// or joins an existing one, and sets up the JetStream streams and KV buckets
// that hold all of Vigie's state.
package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/backoff"
	"github.com/vigie-news/vigie/internal/redact"
)

// Stream and bucket names: part of the public contract.
const (
	ItemsStream  = "VIGIE_ITEMS"
	AlertsStream = "VIGIE_ALERTS"
	JobsStream   = "VIGIE_JOBS"
	SeenBucket   = "vigie_seen"
	FeedsBucket  = "vigie_feeds"
	// JobSubjectPrefix is where fetch jobs are queued, one subject per feed.
	JobSubjectPrefix = "vigie.job"
)

// Options says which server to use and how to lay out the streams.
type Options struct {
	// URL of an existing server or cluster; empty starts an embedded server.
	URL string
	// Listen is the embedded server's client address (host:port).
	Listen string
	// StoreDir holds the embedded server's JetStream files.
	StoreDir string
	// Prefix of item and alert subjects ("news").
	Prefix string
	// Replicas of streams and buckets (1 on a single server, 3 on a cluster).
	Replicas int
	// DupWindow is how long JetStream remembers message ids. It must cover
	// the time between publishing an item and marking it seen, across a crash
	// and a restart; default 48h.
	DupWindow time.Duration
	// SeenTTL is how long an item id stays in the seen set; default 90 days.
	SeenTTL time.Duration
	// Name identifies this connection in the server's monitoring.
	Name string
	// Auth authenticates the connection and encrypts it; the embedded
	// server asks its clients for the same.
	Auth   Auth
	Logger *slog.Logger
}

// Broker is a live connection with its streams and buckets in place.
type Broker struct {
	// Server is the embedded server, nil when connected to an external one.
	Server *server.Server
	Conn   *nats.Conn
	JS     jetstream.JetStream
	// Seen is the set of item ids already published, keyed feed.item.
	Seen jetstream.KeyValue
	// Feeds holds each feed's fetch state, keyed by feed id.
	Feeds jetstream.KeyValue

	opts Options
	log  *slog.Logger
	lock *os.File
}

// ErrListen is returned (wrapped) when the embedded server cannot listen.
var ErrListen = errors.New("embedded NATS server cannot listen")

// Open starts or joins NATS and makes sure every stream and bucket exists.
func Open(ctx context.Context, o Options) (*Broker, error) {
	if o.Prefix == "" {
		o.Prefix = "news"
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.DupWindow == 0 {
		o.DupWindow = 48 * time.Hour
	}
	if o.SeenTTL == 0 {
		o.SeenTTL = 90 * 24 * time.Hour
	}
	if o.Name == "" {
		o.Name = "vigie"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	b := &Broker{opts: o, log: o.Logger}
	if o.URL == "" {
		s, lock, err := startEmbedded(o)
		if err != nil {
			return nil, err
		}
		b.Server, b.lock = s, lock
	}
	if err := b.connect(ctx); err != nil {
		b.shutdownServer()
		return nil, err
	}
	if err := b.setup(ctx); err != nil {
		b.Conn.Close()
		b.shutdownServer()
		return nil, err
	}
	return b, nil
}

func startEmbedded(o Options) (*server.Server, *os.File, error) {
	host, portText, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("nats.listen %q: %w", o.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, nil, fmt.Errorf("nats.listen %q: bad port", o.Listen)
	}
	// Fail early with a clear message rather than the server's own log line.
	if port > 0 {
		l, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return nil, nil, fmt.Errorf("%w on %s (another NATS server running? set nats.listen, or nats.url to use it): %w", ErrListen, o.Listen, err)
		}
		l.Close()
	}
	lock, err := lockStore(o.StoreDir)
	if err != nil {
		return nil, nil, err
	}
	sopts := &server.Options{
		ServerName: "vigie",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
	}
	if err := o.Auth.serverOptions(sopts); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	s, err := server.NewServer(sopts)
	if err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		lock.Close()
		return nil, nil, fmt.Errorf("%w on %s: not ready after 10s", ErrListen, o.Listen)
	}
	return s, lock, nil
}

// ErrStoreLocked is returned (wrapped) when another process has the
// embedded server's store open.
var ErrStoreLocked = errors.New("the JetStream store is in use by another process")

// lockStore takes an exclusive lock beside the store directory: two
// embedded servers writing one store would corrupt it, and nats-server does
// not lock it itself.
func lockStore(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".vigie.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s (is vigie run running? stop it, or let the tool talk to it over NATS)", ErrStoreLocked, dir)
	}
	return f, nil
}

func (b *Broker) connect(ctx context.Context) error {
	opts := []nats.Option{
		nats.Name(b.opts.Name),
		// Keep trying forever: a NATS outage must not end the daemon.
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
	}
	if b.Server != nil {
		// In process there is no wire to encrypt: authenticate only.
		auth, err := b.opts.Auth.authOptions()
		if err != nil {
			return err
		}
		opts = append(append(opts, auth...), nats.InProcessServer(b.Server))
		// The client URL of a server with TLS is tls://, which would make
		// the client ask for it.
		url := "nats://" + strings.TrimPrefix(strings.TrimPrefix(b.Server.ClientURL(), "nats://"), "tls://")
		nc, err := nats.Connect(url, opts...)
		if err != nil {
			return fmt.Errorf("connect to the embedded NATS server: %w", err)
		}
		return b.useConn(nc)
	}
	auth, err := b.opts.Auth.ClientOptions()
	if err != nil {
		return err
	}
	opts = append(opts, auth...)
	// An external server may not be up yet (a cluster starting beside
	// Vigie): wait for it rather than exit. A server that refuses the
	// credentials or the certificates will not change its mind: that is
	// an error at once.
	for attempt := 0; ; attempt++ {
		nc, err := nats.Connect(b.opts.URL, opts...)
		if err == nil {
			return b.useConn(nc)
		}
		if IsAuthError(err) {
			return fmt.Errorf("connect to NATS at %s as %s: %w", redact.URL(b.opts.URL), b.opts.Auth, err)
		}
		if attempt == 0 {
			b.log.Warn("waiting for NATS", "error", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect to NATS: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

func (b *Broker) useConn(nc *nats.Conn) error {
	b.Conn = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	b.JS = js
	return nil
}

func (b *Broker) setup(ctx context.Context) error {
	p, r := b.opts.Prefix, b.opts.Replicas
	streams := []jetstream.StreamConfig{
		{
			Name:        ItemsStream,
			Description: "Every new item Vigie has read",
			Subjects:    []string{p + ".item.>"},
			Duplicates:  b.opts.DupWindow,
			MaxAge:      90 * 24 * time.Hour,
			Storage:     jetstream.FileStorage,
			Replicas:    r,
		},
		{
			Name:        AlertsStream,
			Description: "Every item a classifier matched",
			Subjects:    []string{p + ".alert.>"},
			Duplicates:  b.opts.DupWindow,
			MaxAge:      365 * 24 * time.Hour,
			Storage:     jetstream.FileStorage,
			Replicas:    r,
		},
		{
			Name:        JobsStream,
			Description: "Fetch jobs shared by every Vigie instance",
			Subjects:    []string{JobSubjectPrefix + ".>"},
			Retention:   jetstream.WorkQueuePolicy,
			Duplicates:  time.Hour,
			MaxAge:      24 * time.Hour,
			Storage:     jetstream.FileStorage,
			Replicas:    r,
		},
	}
	for _, cfg := range streams {
		err := b.retry(ctx, "stream "+cfg.Name, func(ctx context.Context) error {
			_, err := b.JS.CreateOrUpdateStream(ctx, cfg)
			return err
		})
		if err != nil {
			return err
		}
	}
	buckets := []struct {
		kv  *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&b.Seen, jetstream.KeyValueConfig{
			Bucket:      SeenBucket,
			Description: "Ids of the items already published",
			TTL:         b.opts.SeenTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    r,
		}},
		{&b.Feeds, jetstream.KeyValueConfig{
			Bucket:      FeedsBucket,
			Description: "Fetch state of each feed",
			Storage:     jetstream.FileStorage,
			Replicas:    r,
		}},
	}
	for _, bk := range buckets {
		err := b.retry(ctx, "kv "+bk.cfg.Bucket, func(ctx context.Context) error {
			kv, err := b.JS.CreateOrUpdateKeyValue(ctx, bk.cfg)
			*bk.kv = kv
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// retry runs a setup call with a short deadline and tries again while the
// failure is a timeout. On a cluster that is forming, or when several
// instances create the same replicated stream at once, the server may not
// answer some calls; a permanent error (a bad configuration) fails at once.
func (b *Broker) retry(ctx context.Context, what string, call func(context.Context) error) error {
	return Retry(ctx, b.log, what, call)
}

// setupBackoff spaces the attempts of a setup call: from half a second,
// doubling up to 5 s.
var setupBackoff = backoff.Exponential{Base: 500 * time.Millisecond, Cap: 5 * time.Second}

// Retry is the broker's way with setup calls (creating a stream, a bucket
// or a consumer) for other packages: each attempt has 5 s, and an attempt
// that timed out is tried again, with a growing pause, until ctx ends; a
// permanent error fails at once.
func Retry(ctx context.Context, log *slog.Logger, what string, call func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := call(cctx)
		cancel()
		if err == nil {
			return nil
		}
		transient := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)
		if !transient || ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if attempt == 1 {
			log.Warn("NATS slow to answer, retrying", "what", what, "error", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(setupBackoff.Nominal(attempt)):
		}
	}
}

// ItemSubject is where an item in lang from feed is published.
func ItemSubject(prefix, lang, feed string) string {
	return prefix + ".item." + lang + "." + feed
}

// AlertSubject is where a classifier's match is published.
func AlertSubject(prefix, classifier, lang, feed string) string {
	return prefix + ".alert." + classifier + "." + lang + "." + feed
}

// PublishItem publishes an item with its id as Nats-Msg-Id, so that a
// republish after a crash is dropped by JetStream.
func (b *Broker) PublishItem(ctx context.Context, it *vigie.Item) error {
	return b.publish(ctx, ItemSubject(b.opts.Prefix, it.Lang, it.Feed.ID), it.ID, it)
}

// PublishAlert publishes a match; its Nats-Msg-Id is the item id and the
// classifier name.
func (b *Broker) PublishAlert(ctx context.Context, a *vigie.Alert) error {
	return b.publish(ctx, AlertSubject(b.opts.Prefix, a.Classifier, a.Lang, a.Feed.ID), a.AlertID(), a)
}

func (b *Broker) publish(ctx context.Context, subject, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	if _, err := b.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

// Message is a message to publish with its Nats-Msg-Id.
type Message struct {
	Msg *nats.Msg
	ID  string
}

// batchWindow is how many asynchronous publishes wait for their acks at
// once: well under the client's limit of pending acks, which would stall.
// batchAckWait bounds the wait for a window's acks: an ack lost with the
// connection would otherwise be waited for as long as ctx lasts.
const (
	batchWindow  = 256
	batchAckWait = 10 * time.Second
)

// PublishBatch publishes msgs without waiting for each ack in turn: a
// window of them goes out, then their acks are read, then the next window.
// The answer has one error per message, nil when JetStream acked it: a
// message that was not acked is never reported as published. The order of
// the messages in the stream is theirs.
func (b *Broker) PublishBatch(ctx context.Context, msgs []Message) []error {
	errs := make([]error, len(msgs))
	for start := 0; start < len(msgs); start += batchWindow {
		b.publishWindow(ctx, msgs[start:min(start+batchWindow, len(msgs))], errs[start:])
	}
	return errs
}

// publishWindow publishes a window of a batch and waits for its acks,
// writing each message's outcome in errs.
func (b *Broker) publishWindow(ctx context.Context, window []Message, errs []error) {
	ctx, cancel := context.WithTimeout(ctx, batchAckWait)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, len(window))
	for i, m := range window {
		f, err := b.JS.PublishMsgAsync(m.Msg, jetstream.WithMsgID(m.ID))
		if err != nil {
			errs[i] = fmt.Errorf("publish %s: %w", m.Msg.Subject, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = fmt.Errorf("publish %s: %w", window[i].Msg.Subject, err)
		case <-ctx.Done():
			errs[i] = fmt.Errorf("publish %s: %w", window[i].Msg.Subject, ctx.Err())
		}
	}
}

func seenKey(feed, item string) string { return feed + "." + item }

// IsSeen reports whether the item was already published, and the
// fingerprint it was marked with ("" for marks older than fingerprints). A
// key older than half the seen set's lifetime is written again: an item
// that a feed keeps for months (undated entries get the fetch time, so their
// age does not drop them) must not come back as new when its key expires.
func (b *Broker) IsSeen(ctx context.Context, feed, item string) (seen bool, fingerprint string, err error) {
	e, err := b.Seen.Get(ctx, seenKey(feed, item))
	switch {
	case err == nil:
		_, fingerprint, _ = strings.Cut(string(e.Value()), " ")
		if time.Since(e.Created()) > b.opts.SeenTTL/2 {
			if _, err := b.Seen.Put(ctx, e.Key(), e.Value()); err != nil {
				return true, fingerprint, fmt.Errorf("refresh seen %s: %w", e.Key(), err)
			}
		}
		return true, fingerprint, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, "", nil
	default:
		return false, "", fmt.Errorf("seen %s: %w", seenKey(feed, item), err)
	}
}

// MarkSeen records that the item was published. The value is the time, for
// operators who look at the bucket, and the item's fingerprint (see
// normalize.Item.Fingerprint). With once, a mark already there is kept.
func (b *Broker) MarkSeen(ctx context.Context, feed, item string, at time.Time, fingerprint string, once bool) error {
	value := []byte(strings.TrimSpace(at.UTC().Format(time.RFC3339) + " " + fingerprint))
	var err error
	if once {
		if _, err = b.Seen.Create(ctx, seenKey(feed, item), value); errors.Is(err, jetstream.ErrKeyExists) {
			err = nil
		}
	} else {
		_, err = b.Seen.Put(ctx, seenKey(feed, item), value)
	}
	if err != nil {
		return fmt.Errorf("mark seen %s: %w", seenKey(feed, item), err)
	}
	return nil
}

// Close drains the connection, so that pending publishes and acks reach the
// server, then stops the embedded server, which flushes its store.
func (b *Broker) Close(ctx context.Context) error {
	var err error
	if b.Conn != nil && !b.Conn.IsClosed() {
		done := make(chan struct{})
		b.Conn.SetClosedHandler(func(*nats.Conn) { close(done) })
		if derr := b.Conn.Drain(); derr != nil {
			b.Conn.Close()
		} else {
			select {
			case <-done:
			case <-ctx.Done():
				b.Conn.Close()
				err = fmt.Errorf("drain NATS connection: %w", ctx.Err())
			}
		}
	}
	b.shutdownServer()
	return err
}

func (b *Broker) shutdownServer() {
	if b.Server != nil {
		b.Server.Shutdown()
		b.Server.WaitForShutdown()
	}
	if b.lock != nil {
		b.lock.Close() // releases the lock
	}
}

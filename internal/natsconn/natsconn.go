// Package natsconn reaches Vigie's NATS as a configuration describes it:
// the credentials and TLS files of nats.*, the server's address (nats.url
// or the embedded server's listen address), and, for the one-shot
// commands, the running daemon's server or else the embedded store under
// data_dir, opened by the command itself.
package natsconn

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/redact"
)

// closeWithin is how long a command waits for its connection to drain, or
// for the store it opened to close.
const closeWithin = 5 * time.Second

// Auth reads the credentials and TLS files of a configuration for the
// broker; every command that talks to NATS connects with them. A nil
// configuration (vigie tail without one) has none.
func Auth(cfg *config.Config) (broker.Auth, error) {
	if cfg == nil {
		return broker.Auth{}, nil
	}
	s, err := cfg.NATSSecrets()
	if err != nil {
		return broker.Auth{}, err
	}
	return broker.Auth{
		CredsFile: s.CredsFile,
		NKeyFile:  s.NKeyFile,
		Token:     s.Token,
		User:      s.User,
		Password:  s.Password,
		TLS:       broker.TLSFiles{CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile},
	}, nil
}

// ServerURL is where a client of this configuration finds NATS: nats.url,
// or the embedded server's listen address.
func ServerURL(cfg *config.Config) string {
	if cfg == nil {
		return "nats://" + config.DefaultListen
	}
	if cfg.NATS.URL != "" {
		return cfg.NATS.URL
	}
	// A server listening on every interface is reached on loopback from
	// this machine (the address its TLS certificate should name).
	host, port, err := net.SplitHostPort(cfg.NATS.Listen)
	if err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			return "nats://" + net.JoinHostPort("127.0.0.1", port)
		}
	}
	return "nats://" + cfg.NATS.Listen
}

// Close drains the connection and stops an embedded server, giving up
// after within.
func Close(b *broker.Broker, within time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		log.Warn("nats shutdown", "error", err)
	}
}

// With runs fn on Vigie's state in NATS, as ConnectOrOpen reaches it, and
// closes the connection (or the store it opened) after. A nil log is
// slog.Default().
func With(ctx context.Context, cfg *config.Config, log *slog.Logger, fn func(b *broker.Broker) error) error {
	if log == nil {
		log = slog.Default()
	}
	b, err := ConnectOrOpen(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer Close(b, closeWithin, log)
	return fn(b)
}

// ConnectOrOpen joins the NATS server of a configuration for a one-shot
// command: nats.url, or the running daemon's embedded server; when that
// does not answer, it starts the embedded server on the store itself, on
// a port of its own. Unlike the daemon, it does not wait for a server
// that is down: it says so.
func ConnectOrOpen(ctx context.Context, cfg *config.Config, log *slog.Logger) (*broker.Broker, error) {
	auth, err := Auth(cfg)
	if err != nil {
		return nil, err
	}
	clientOpts, err := auth.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts := broker.Options{
		URL:      cfg.NATS.URL,
		Prefix:   cfg.NATS.SubjectPrefix,
		Replicas: cfg.NATS.Replicas,
		Name:     "vigie-tool",
		Auth:     auth,
		Logger:   log,
	}
	probe := append([]nats.Option{nats.Timeout(2 * time.Second)}, clientOpts...)
	if opts.URL != "" {
		nc, err := nats.Connect(opts.URL, probe...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", redact.URL(opts.URL), err)
		}
		nc.Close()
		return broker.Open(ctx, opts)
	}
	nc, err := nats.Connect(ServerURL(cfg), probe...)
	if err == nil {
		nc.Close()
		opts.URL = ServerURL(cfg)
		return broker.Open(ctx, opts)
	}
	if broker.IsAuthError(err) {
		// A daemon answers, and refuses these credentials.
		return nil, fmt.Errorf("connect to NATS at %s: %w", ServerURL(cfg), err)
	}
	opts.Listen = "127.0.0.1:-1"
	opts.StoreDir = filepath.Join(cfg.DataDir, "jetstream")
	return broker.Open(ctx, opts)
}

package natsconn

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natstest"
)

func TestServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  *config.Config
		want string
	}{
		{"no configuration", nil, "nats://" + config.DefaultListen},
		{"nats.url", &config.Config{NATS: config.NATS{URL: "tls://nats.example:4222", Listen: "127.0.0.1:4222"}}, "tls://nats.example:4222"},
		{"embedded on loopback", &config.Config{NATS: config.NATS{Listen: "127.0.0.1:4333"}}, "nats://127.0.0.1:4333"},
		{"embedded on every interface", &config.Config{NATS: config.NATS{Listen: "0.0.0.0:4333"}}, "nats://127.0.0.1:4333"},
		{"embedded on every interface, no host", &config.Config{NATS: config.NATS{Listen: ":4333"}}, "nats://127.0.0.1:4333"},
		{"embedded on IPv6 any", &config.Config{NATS: config.NATS{Listen: "[::]:4333"}}, "nats://127.0.0.1:4333"},
	}
	for _, tt := range tests {
		if got := ServerURL(tt.cfg); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestWith: with nothing answering at nats.listen, the command opens the
// store under data_dir itself; with a server there, it uses the server;
// with nats.url pointing at nothing, it fails at once and keeps the
// password out of its error.
func TestWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir, NATS: config.NATS{Listen: freeAddr(t), SubjectPrefix: "news"}}
	var embedded bool
	err := With(ctx, cfg, quiet, func(b *broker.Broker) error {
		embedded = b.Server != nil
		return nil
	})
	if err != nil || !embedded {
		t.Fatalf("nothing answering: %v, embedded %v", err, embedded)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Errorf("no store under data_dir: %v", err)
	}

	srv := natstest.Start(t, nil)
	cfg = &config.Config{DataDir: t.TempDir(), NATS: config.NATS{Listen: srv.Addr().String(), SubjectPrefix: "news"}}
	err = With(ctx, cfg, quiet, func(b *broker.Broker) error {
		embedded = b.Server != nil
		return nil
	})
	if err != nil || embedded {
		t.Errorf("a server answering: %v, embedded %v", err, embedded)
	}

	cfg = &config.Config{DataDir: t.TempDir(), NATS: config.NATS{URL: "nats://alice:S3CRET@" + freeAddr(t), SubjectPrefix: "news"}}
	sentinel := errors.New("ran")
	err = With(ctx, cfg, quiet, func(*broker.Broker) error { return sentinel })
	if err == nil || errors.Is(err, sentinel) || !strings.Contains(err.Error(), "connect to NATS") || strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("nats.url at nothing: %v", err)
	}
}

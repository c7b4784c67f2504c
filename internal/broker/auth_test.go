package broker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie/internal/natstest"
)

// dial connects to url with opts and reports whether the server took the
// client; an error that is not a refusal fails the test.
func dial(t *testing.T, url string, opts ...nats.Option) bool {
	t.Helper()
	nc, err := nats.Connect(url, append(opts, nats.Timeout(5*time.Second))...)
	if err == nil {
		nc.Close()
		return true
	}
	// With TLS 1.3 a server that refuses the client's certificate closes
	// the connection after the handshake: nats.go's ErrTLS.
	if !IsAuthError(err) && !errors.Is(err, nats.ErrTLS) {
		t.Fatalf("connect: %v, want a refusal of the credentials or certificate", err)
	}
	return false
}

// The embedded server asks for what Auth says, and Vigie's own connection
// (in process) gets in with it; the secrets are in none of its log lines.
func TestEmbeddedServerAuth(t *testing.T) {
	const token = "6b1f0e1c2d3a4b5c6d7e8f9a0b1c2d3e"
	seed, _ := natstest.UserSeed(t)
	otherSeed, _ := natstest.UserSeed(t)
	nkeyOpt := func(t *testing.T, file string) nats.Option {
		o, err := nats.NkeyOptionFromSeed(file)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name     string
		auth     Auth
		accepted func(t *testing.T) []nats.Option
		refused  map[string]func(t *testing.T) []nats.Option
	}{
		{
			name:     "token",
			auth:     Auth{Token: token},
			accepted: func(*testing.T) []nats.Option { return []nats.Option{nats.Token(token)} },
			refused: map[string]func(*testing.T) []nats.Option{
				"anonymous":   func(*testing.T) []nats.Option { return nil },
				"wrong token": func(*testing.T) []nats.Option { return []nats.Option{nats.Token("0000" + token[4:])} },
			},
		},
		{
			name: "user and password",
			auth: Auth{User: "vigie", Password: "correct horse battery staple"},
			accepted: func(*testing.T) []nats.Option {
				return []nats.Option{nats.UserInfo("vigie", "correct horse battery staple")}
			},
			refused: map[string]func(*testing.T) []nats.Option{
				"anonymous":      func(*testing.T) []nats.Option { return nil },
				"wrong password": func(*testing.T) []nats.Option { return []nats.Option{nats.UserInfo("vigie", "correct horse")} },
				"other user": func(*testing.T) []nats.Option {
					return []nats.Option{nats.UserInfo("root", "correct horse battery staple")}
				},
			},
		},
		{
			name:     "nkey",
			auth:     Auth{NKeyFile: seed},
			accepted: func(t *testing.T) []nats.Option { return []nats.Option{nkeyOpt(t, seed)} },
			refused: map[string]func(*testing.T) []nats.Option{
				"anonymous":  func(*testing.T) []nats.Option { return nil },
				"other nkey": func(t *testing.T) []nats.Option { return []nats.Option{nkeyOpt(t, otherSeed)} },
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			b := open(t, Options{StoreDir: t.TempDir(), Auth: tt.auth, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			url := b.Server.ClientURL()
			if !dial(t, url, tt.accepted(t)...) {
				t.Error("a client with the right credentials was refused")
			}
			for name, opts := range tt.refused {
				if dial(t, url, opts(t)...) {
					t.Errorf("%s: the server took the client", name)
				}
			}
			// Vigie's own connection works: the streams are there.
			if n := streamMsgs(t, b, AlertsStream); n != 0 {
				t.Errorf("%s holds %d messages", AlertsStream, n)
			}
			closeBroker(t, b)
			for _, secret := range []string{token, "correct horse"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log holds a secret:\n%s", logs.String())
				}
			}
		})
	}
}

// With nats.tls the embedded server serves TLS and, with a CA, wants a
// client certificate signed by it; Vigie's in-process connection needs
// neither.
func TestEmbeddedServerTLS(t *testing.T) {
	pki := natstest.NewPKI(t, "vigie")
	rogue := natstest.NewPKI(t, "rogue")
	b := open(t, Options{StoreDir: t.TempDir(), Auth: Auth{TLS: TLSFiles{CAFile: pki.CAFile, CertFile: pki.ServerCert, KeyFile: pki.ServerKey}}})
	defer closeBroker(t, b)
	url := b.Server.ClientURL()
	tests := []struct {
		name string
		opts []nats.Option
		want bool
	}{
		{"CA and client certificate", []nats.Option{nats.RootCAs(pki.CAFile), nats.ClientCert(pki.ClientCert, pki.ClientKey)}, true},
		{"plain, no certificate", nil, false},
		{"CA, no client certificate", []nats.Option{nats.RootCAs(pki.CAFile)}, false},
		{"client certificate of another CA", []nats.Option{nats.RootCAs(pki.CAFile), nats.ClientCert(rogue.ClientCert, rogue.ClientKey)}, false},
		{"server not trusted", []nats.Option{nats.RootCAs(rogue.CAFile), nats.ClientCert(pki.ClientCert, pki.ClientKey)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dial(t, url, tt.opts...); got != tt.want {
				t.Errorf("accepted = %v, want %v", got, tt.want)
			}
		})
	}
	// The client options of Auth are what the command line tools use.
	client := Auth{TLS: TLSFiles{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}}
	opts, err := client.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if !dial(t, url, opts...) {
		t.Error("Auth.ClientOptions with the CA and a client certificate was refused")
	}
}

// Against an external server Open connects with creds in the operator
// model; a server that refuses the credentials is an error at once, not a
// wait.
func TestExternalServerCreds(t *testing.T) {
	op := natstest.NewOperator(t)
	s := natstest.Start(t, func(o *server.Options) { op.Configure(t, o) })
	creds := op.Creds(t, "vigie")

	if dial(t, s.ClientURL()) {
		t.Error("the operator's server took an anonymous client")
	}
	if dial(t, s.ClientURL(), nats.UserCredentials(natstest.ForeignCreds(t))) {
		t.Error("the operator's server took a user of another operator")
	}
	b := open(t, Options{URL: s.ClientURL(), Auth: Auth{CredsFile: creds}})
	if n := streamMsgs(t, b, ItemsStream); n != 0 {
		t.Errorf("%s holds %d messages", ItemsStream, n)
	}
	closeBroker(t, b)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, Options{URL: s.ClientURL(), Auth: Auth{CredsFile: natstest.ForeignCreds(t)}})
	if err == nil || !IsAuthError(err) || ctx.Err() != nil {
		t.Errorf("Open with refused credentials: %v, want an authorization error at once", err)
	}
}

// Auth never shows its secrets when printed or logged.
func TestAuthRedacted(t *testing.T) {
	a := Auth{Token: "tok-secret-123", User: "u", Password: "pw-secret-456"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("connecting", "auth", a)
	for _, s := range []string{a.String(), a.GoString(), logs.String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("%q shows a secret", s)
		}
	}
}

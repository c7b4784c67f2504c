package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/natstest"
)

const natsFeed = "feeds:\n  - {id: a, url: https://a.example/rss}\n"

// TestNATSSecurityRules checks how the nats keys that authenticate and
// encrypt fit together, each problem at its line.
func TestNATSSecurityRules(t *testing.T) {
	tests := []struct {
		name, nats, wantErr string
	}{
		{"loopback without auth", "  listen: 127.0.0.1:4222\n", ""},
		{"default listen", "  subject_prefix: news\n", ""},
		{"every interface without auth", "  listen: 0.0.0.0:4222\n",
			`f.yaml:2: nats.listen: "0.0.0.0:4222" is not a loopback address, and the embedded server would take any client that reaches it: set nats.token_file, nats.user with nats.password_file, or nats.nkey_file`},
		{"empty host without auth", "  listen: \":4222\"\n", `f.yaml:2: nats.listen: ":4222" is not a loopback address`},
		{"an address of the machine without auth", "  listen: 10.0.0.5:4222\n", `f.yaml:2: nats.listen: "10.0.0.5:4222" is not a loopback address`},
		{"every interface with a token", "  listen: 0.0.0.0:4222\n  token_file: token\n", ""},
		{"every interface with a password", "  listen: 0.0.0.0:4222\n  user: vigie\n  password_file: pw\n", ""},
		{"every interface with an nkey", "  listen: 0.0.0.0:4222\n  nkey_file: vigie.nk\n", ""},
		{"every interface with mutual TLS", "  listen: 0.0.0.0:4222\n  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}\n", ""},
		{"every interface with TLS alone", "  listen: 0.0.0.0:4222\n  tls: {cert_file: c.pem, key_file: k.pem}\n", `f.yaml:2: nats.listen: "0.0.0.0:4222" is not a loopback address`},
		{"external server, nothing set", "  url: nats://nats.example:4222\n", ""},
		{"external server with creds", "  url: tls://nats.example:4222\n  creds_file: vigie.creds\n  tls: {ca_file: ca.pem}\n", ""},
		{"creds for the embedded server", "  creds_file: vigie.creds\n", `f.yaml:2: nats.creds_file: the embedded server does not take credentials files`},
		{"two ways", "  url: nats://n:4222\n  token_file: token\n  creds_file: vigie.creds\n", `f.yaml:3: nats.token_file: nats.creds_file is set too: choose one way to authenticate`},
		{"user without password", "  url: nats://n:4222\n  user: vigie\n", `f.yaml:3: nats.user: set nats.password_file too`},
		{"password without user", "  url: nats://n:4222\n  password_file: pw\n", `f.yaml:3: nats.password_file: set nats.user too`},
		{"certificate without key", "  url: nats://n:4222\n  tls:\n    cert_file: c.pem\n", `f.yaml:4: nats.tls: cert_file and key_file go together`},
		{"embedded server with a CA alone", "  tls:\n    ca_file: ca.pem\n", `f.yaml:3: nats.tls: the embedded server needs cert_file and key_file`},
		{"unknown key", "  tls: {ca: x}\n", `f.yaml:2: nats.tls: unknown key "ca"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte("nats:\n"+tt.nats+natsFeed), noEnv)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !hasProblem(err, tt.wantErr)):
				t.Errorf("error %v, want one starting %q", err, tt.wantErr)
			}
		})
	}
}

func hasProblem(err error, prefix string) bool {
	var list diag.List
	if !errors.As(err, &list) {
		return false
	}
	for _, p := range list {
		if strings.HasPrefix(p.String(), prefix) {
			return true
		}
	}
	return false
}

// TestNATSSecrets reads the files the nats keys name; a file that is
// missing or does not hold what it should is reported at its key's line,
// and no secret is ever in a message.
func TestNATSSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const token = "tok-0123456789abcdef-SECRET"
	write("token", token+"\n")
	write("short-token", "tok-SECRET\n")
	write("two-words", "tok SECRET-0123456789abcdef\n")
	write("empty", "\n \n")
	write("password", "hunter2 SECRET\n")
	write("two-lines", "hunter2\nSECRET\n")
	seed, _ := natstest.UserSeed(t)
	seedData, _ := os.ReadFile(seed)
	write("vigie.nk", string(seedData))
	write("not-a-seed.nk", "SECRETSECRETSECRET\n")
	creds := natstest.NewOperator(t).Creds(t, "vigie")
	credsData, _ := os.ReadFile(creds)
	write("vigie.creds", string(credsData))
	write("jwt-only.creds", strings.Split(string(credsData), "************************* IMPORTANT")[0])
	pki := natstest.NewPKI(t, "vigie")
	other := natstest.NewPKI(t, "other")
	write("not-a-cert.pem", "SECRET\n")

	tests := []struct {
		name, nats, wantErr string
		check               func(t *testing.T, s NATSSecrets)
	}{
		{name: "token", nats: "  token_file: token\n", check: func(t *testing.T, s NATSSecrets) {
			if s.Token != token {
				t.Errorf("token %q", s.Token)
			}
		}},
		{name: "missing token file", nats: "  token_file: nope\n", wantErr: "f.yaml:2: nats.token_file: open " + filepath.Join(dir, "nope")},
		{name: "empty token file", nats: "  token_file: empty\n", wantErr: "f.yaml:2: nats.token_file: " + filepath.Join(dir, "empty") + " is empty"},
		{name: "token of two words", nats: "  token_file: two-words\n", wantErr: "f.yaml:2: nats.token_file: " + filepath.Join(dir, "two-words") + " holds more than one word"},
		{name: "short token for the embedded server", nats: "  token_file: short-token\n", wantErr: "f.yaml:2: nats.token_file: the token in " + filepath.Join(dir, "short-token") + " is shorter than 16 characters"},
		{name: "short token for an external server", nats: "  url: nats://n:4222\n  token_file: short-token\n"},
		{name: "password", nats: "  user: vigie\n  password_file: password\n", check: func(t *testing.T, s NATSSecrets) {
			if s.User != "vigie" || s.Password != "hunter2 SECRET" {
				t.Errorf("user %q, password %q", s.User, s.Password)
			}
		}},
		{name: "password of two lines", nats: "  user: vigie\n  password_file: two-lines\n", wantErr: "f.yaml:3: nats.password_file: " + filepath.Join(dir, "two-lines") + " holds more than one line"},
		{name: "nkey seed", nats: "  nkey_file: vigie.nk\n", check: func(t *testing.T, s NATSSecrets) {
			if s.NKeyFile != filepath.Join(dir, "vigie.nk") {
				t.Errorf("nkey file %q", s.NKeyFile)
			}
		}},
		{name: "not a seed", nats: "  nkey_file: not-a-seed.nk\n", wantErr: "f.yaml:2: nats.nkey_file: " + filepath.Join(dir, "not-a-seed.nk") + " holds no NKey user seed"},
		{name: "creds", nats: "  url: nats://n:4222\n  creds_file: vigie.creds\n", check: func(t *testing.T, s NATSSecrets) {
			if s.CredsFile != filepath.Join(dir, "vigie.creds") {
				t.Errorf("creds file %q", s.CredsFile)
			}
		}},
		{name: "creds without a seed", nats: "  url: nats://n:4222\n  creds_file: jwt-only.creds\n", wantErr: "f.yaml:3: nats.creds_file: " + filepath.Join(dir, "jwt-only.creds") + " is not a NATS credentials file: it holds no user seed"},
		{name: "a seed is no creds file", nats: "  url: nats://n:4222\n  creds_file: vigie.nk\n", wantErr: "f.yaml:3: nats.creds_file: " + filepath.Join(dir, "vigie.nk") + " is not a NATS credentials file: it holds no user JWT"},
		{name: "mutual TLS", nats: "  url: tls://n:4222\n  tls:\n    ca_file: " + pki.CAFile + "\n    cert_file: " + pki.ClientCert + "\n    key_file: " + pki.ClientKey + "\n", check: func(t *testing.T, s NATSSecrets) {
			if s.CAFile != pki.CAFile || s.CertFile != pki.ClientCert || s.KeyFile != pki.ClientKey {
				t.Errorf("tls files %+v", s)
			}
		}},
		{name: "CA that is not a certificate", nats: "  url: tls://n:4222\n  tls:\n    ca_file: not-a-cert.pem\n", wantErr: "f.yaml:4: nats.tls.ca_file: " + filepath.Join(dir, "not-a-cert.pem") + " holds no PEM certificate"},
		{name: "key of another certificate", nats: "  url: tls://n:4222\n  tls:\n    cert_file: " + pki.ClientCert + "\n    key_file: " + other.ClientKey + "\n", wantErr: "f.yaml:4: nats.tls: cert_file " + pki.ClientCert + " and key_file " + other.ClientKey + ": tls: private key does not match public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(filepath.Join(dir, "f.yaml"), []byte("nats:\n"+tt.nats+natsFeed), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			s, err := cfg.NATSSecrets()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !hasProblem(err, dir+string(filepath.Separator)+tt.wantErr)):
				t.Fatalf("error %v, want one starting %q", err, tt.wantErr)
			case err != nil && (strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), seedLine(seedData))):
				t.Errorf("the error shows a secret: %v", err)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
			for _, shown := range []string{s.String(), s.GoString()} {
				if strings.Contains(shown, "SECRET") || s.Token != "" && strings.Contains(shown, s.Token) {
					t.Errorf("%q shows a secret", shown)
				}
			}
		})
	}
}

func seedLine(b []byte) string { return strings.TrimSpace(string(b)) }

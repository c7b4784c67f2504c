package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/vigie-news/vigie/internal/diag"
)

// validateNATSSecurity checks how the nats keys that authenticate and
// encrypt fit together, without reading their files (NATSSecrets does).
func (c *Config) validateNATSSecurity(file string, lines lineIndex, p *diag.List) {
	n := c.NATS
	embedded := n.URL == ""
	// One way to authenticate: nats.go and nats-server take one.
	var ways []string
	for _, w := range []struct{ key, v string }{
		{"creds_file", n.CredsFile}, {"nkey_file", n.NKeyFile}, {"token_file", n.TokenFile}, {"user", n.User},
	} {
		if strings.TrimSpace(w.v) != "" {
			ways = append(ways, w.key)
		}
	}
	if len(ways) > 1 {
		p.Addf(file, lines.of("nats", ways[1]), "nats.%s: nats.%s is set too: choose one way to authenticate", ways[1], ways[0])
	}
	switch {
	case strings.TrimSpace(n.User) != "" && strings.TrimSpace(n.PasswordFile) == "":
		p.Addf(file, lines.of("nats", "user"), "nats.user: set nats.password_file too, a file holding the password")
	case strings.TrimSpace(n.User) == "" && strings.TrimSpace(n.PasswordFile) != "":
		p.Addf(file, lines.of("nats", "password_file"), "nats.password_file: set nats.user too, the user the password is for")
	}
	if embedded && strings.TrimSpace(n.CredsFile) != "" {
		p.Addf(file, lines.of("nats", "creds_file"), "nats.creds_file: the embedded server does not take credentials files (the operator model needs a server of its own with an account resolver): set nats.url, or use nats.token_file, nats.user with nats.password_file, or nats.nkey_file")
	}
	t := n.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		line := lines.of("nats", "tls", "cert_file")
		if t.CertFile == "" {
			line = lines.of("nats", "tls", "key_file")
		}
		p.Addf(file, line, "nats.tls: cert_file and key_file go together (a certificate and its private key)")
	}
	if embedded && t.CAFile != "" && t.CertFile == "" {
		p.Addf(file, lines.of("nats", "tls"), "nats.tls: the embedded server needs cert_file and key_file, the certificate it serves TLS with")
	}
	if embedded && !IsLoopback(n.Listen) && !c.natsAuthenticates() {
		p.Addf(file, lines.of("nats", "listen"), "nats.listen: %q is not a loopback address, and the embedded server would take any client that reaches it: set nats.token_file, nats.user with nats.password_file, or nats.nkey_file (and nats.tls to encrypt), or nats.tls with ca_file, cert_file and key_file so that clients need a certificate", n.Listen)
	}
}

// natsAuthenticates reports whether the embedded server would ask its
// clients who they are: a token, a password, an NKey, or a client
// certificate signed by nats.tls.ca_file.
func (c *Config) natsAuthenticates() bool {
	n := c.NATS
	if strings.TrimSpace(n.TokenFile) != "" || strings.TrimSpace(n.NKeyFile) != "" {
		return true
	}
	if strings.TrimSpace(n.User) != "" && strings.TrimSpace(n.PasswordFile) != "" {
		return true
	}
	return n.TLS.CAFile != "" && n.TLS.CertFile != "" && n.TLS.KeyFile != ""
}

// NATSSecrets is what the security keys of nats point at, checked: paths
// made absolute, the token and the password read from their files. Its
// String and LogValue show which ways are set, never a secret.
type NATSSecrets struct {
	CredsFile string
	NKeyFile  string
	Token     string
	User      string
	Password  string
	CAFile    string
	CertFile  string
	KeyFile   string
}

// String names what is set, without the secrets.
func (s NATSSecrets) String() string {
	var set []string
	for _, w := range []struct{ name, v string }{
		{"creds_file", s.CredsFile}, {"nkey_file", s.NKeyFile}, {"token", s.Token}, {"user", s.User},
		{"tls.ca_file", s.CAFile}, {"tls.cert_file", s.CertFile},
	} {
		if w.v != "" {
			set = append(set, w.name)
		}
	}
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, ", ")
}

// GoString keeps %#v from printing the secrets.
func (s NATSSecrets) GoString() string { return "config.NATSSecrets{" + s.String() + "}" }

// LogValue keeps log records from holding the secrets.
func (s NATSSecrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// NATSSecrets reads and checks the files that the nats keys name: the
// token, the password, the NKey seed, the credentials and the TLS files. A
// file that cannot be read or does not hold what it should is a problem of
// the configuration, reported as file:line; what the files hold is never
// in a message.
func (c *Config) NATSSecrets() (NATSSecrets, error) {
	var s NATSSecrets
	var p diag.List
	n := c.NATS
	bad := func(path []any, format string, args ...any) {
		p.Addf(c.Path, c.lines.of(path...), format, args...)
	}
	if n.TokenFile != "" {
		path := c.resolve(n.TokenFile)
		token, err := readSecret(path)
		switch {
		case err != nil:
			bad([]any{"nats", "token_file"}, "nats.token_file: %v", err)
		case strings.ContainsAny(token, " \t\r\n"):
			bad([]any{"nats", "token_file"}, "nats.token_file: %s holds more than one word: the token is one line without spaces", path)
		case n.URL == "" && len(token) < MinTokenLength:
			bad([]any{"nats", "token_file"}, "nats.token_file: the token in %s is shorter than %d characters: make one with openssl rand -hex 32", path, MinTokenLength)
		default:
			s.Token = token
		}
	}
	if n.User != "" && n.PasswordFile != "" {
		path := c.resolve(n.PasswordFile)
		password, err := readSecret(path)
		switch {
		case err != nil:
			bad([]any{"nats", "password_file"}, "nats.password_file: %v", err)
		case strings.ContainsAny(password, "\r\n"):
			bad([]any{"nats", "password_file"}, "nats.password_file: %s holds more than one line: the password is one line", path)
		default:
			s.User, s.Password = n.User, password
		}
	}
	if n.NKeyFile != "" {
		path := c.resolve(n.NKeyFile)
		if err := checkSeedFile(path); err != nil {
			bad([]any{"nats", "nkey_file"}, "nats.nkey_file: %v", err)
		} else {
			s.NKeyFile = path
		}
	}
	if n.CredsFile != "" {
		path := c.resolve(n.CredsFile)
		if err := checkCredsFile(path); err != nil {
			bad([]any{"nats", "creds_file"}, "nats.creds_file: %v", err)
		} else {
			s.CredsFile = path
		}
	}
	if t := n.TLS; t.CAFile != "" {
		path := c.resolve(t.CAFile)
		if err := checkCA(path); err != nil {
			bad([]any{"nats", "tls", "ca_file"}, "nats.tls.ca_file: %v", err)
		} else {
			s.CAFile = path
		}
	}
	if t := n.TLS; t.CertFile != "" && t.KeyFile != "" {
		cert, key := c.resolve(t.CertFile), c.resolve(t.KeyFile)
		if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
			bad([]any{"nats", "tls", "cert_file"}, "nats.tls: cert_file %s and key_file %s: %v", cert, key, err)
		} else {
			s.CertFile, s.KeyFile = cert, key
		}
	}
	if err := p.Err(); err != nil {
		return NATSSecrets{}, err
	}
	return s, nil
}

// resolve makes a path of the configuration relative to its file.
func (c *Config) resolve(path string) string {
	path = strings.TrimSpace(path)
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(c.Path), path)
	}
	return path
}

// readSecret reads a file holding one secret: its content without the
// white space around it, which must not be empty.
func readSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return "", fmt.Errorf("%s is empty: write the secret in it", path)
	}
	return secret, nil
}

// checkSeedFile checks that a file holds an NKey user seed.
func checkSeedFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	clear(data)
	if err != nil {
		// nkeys' errors name no part of the key; still, say it in words.
		return fmt.Errorf("%s holds no NKey user seed (a line starting SU, as nk -gen user or nsc writes it)", path)
	}
	kp.Wipe()
	return nil
}

// checkCredsFile checks that a file holds a user JWT and its seed, as nsc
// generate creds writes them.
func checkCredsFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	defer clear(data)
	jwt, err := nkeys.ParseDecoratedJWT(data)
	if err != nil || strings.Count(jwt, ".") != 2 || strings.ContainsAny(jwt, " \n") {
		return fmt.Errorf("%s is not a NATS credentials file: it holds no user JWT (make one with nsc generate creds)", path)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return fmt.Errorf("%s is not a NATS credentials file: it holds no user seed (make one with nsc generate creds)", path)
	}
	kp.Wipe()
	return nil
}

// checkCA checks that a file holds at least one PEM certificate.
func checkCA(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("%s holds no PEM certificate", path)
	}
	return nil
}

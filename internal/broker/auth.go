package broker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Auth is how Vigie authenticates to NATS and encrypts the connection, and
// what the embedded server asks of its clients. Set one way to
// authenticate (or none): CredsFile (external servers only), NKeyFile,
// Token, or User with Password. Files are paths; Token and Password are
// the secrets themselves, read by the caller. Every mechanism is nats.go's
// or nats-server's own.
type Auth struct {
	// CredsFile holds a user JWT and its NKey seed (the operator model).
	CredsFile string
	// NKeyFile holds an NKey user seed; the embedded server admits the
	// matching public key.
	NKeyFile string
	Token    string
	User     string
	Password string
	TLS      TLSFiles
}

// TLSFiles are PEM files. A client checks the server's certificate with
// CAFile (the system's roots without it) and presents CertFile and KeyFile
// when set (mutual TLS). The embedded server serves TLS with CertFile and
// KeyFile, and with CAFile requires client certificates signed by it.
type TLSFiles struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// Enabled reports whether any TLS file is set.
func (t TLSFiles) Enabled() bool { return t.CAFile != "" || t.CertFile != "" }

// String names the ways that are set, never a secret.
func (a Auth) String() string {
	switch {
	case a.CredsFile != "":
		return "creds"
	case a.NKeyFile != "":
		return "nkey"
	case a.Token != "":
		return "token"
	case a.User != "":
		return "user"
	}
	return "none"
}

// GoString keeps %#v from printing the secrets.
func (a Auth) GoString() string { return "broker.Auth{" + a.String() + "}" }

// LogValue keeps log records from holding the secrets.
func (a Auth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("auth", a.String()), slog.Bool("tls", a.TLS.Enabled()))
}

// ClientOptions are the nats.go options that authenticate with a and, when
// TLS files are set, encrypt the connection.
func (a Auth) ClientOptions() ([]nats.Option, error) {
	opts, err := a.authOptions()
	if err != nil {
		return nil, err
	}
	if a.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(a.TLS.CAFile))
	}
	if a.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(a.TLS.CertFile, a.TLS.KeyFile))
	}
	if a.TLS.Enabled() {
		opts = append(opts, nats.Secure())
	}
	return opts, nil
}

// authOptions are the options that authenticate, without TLS: what an
// in-process connection to the embedded server needs.
func (a Auth) authOptions() ([]nats.Option, error) {
	switch {
	case a.CredsFile != "":
		return []nats.Option{nats.UserCredentials(a.CredsFile)}, nil
	case a.NKeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(a.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nkey file %s: no user seed", a.NKeyFile)
		}
		return []nats.Option{opt}, nil
	case a.Token != "":
		return []nats.Option{nats.Token(a.Token)}, nil
	case a.User != "":
		return []nats.Option{nats.UserInfo(a.User, a.Password)}, nil
	}
	return nil, nil
}

// serverOptions makes the embedded server ask for what a authenticates
// with, and serve TLS with its files.
func (a Auth) serverOptions(o *server.Options) error {
	switch {
	case a.CredsFile != "":
		return errors.New("the embedded server does not take credentials files: set nats.url")
	case a.NKeyFile != "":
		pub, err := publicKeyOf(a.NKeyFile)
		if err != nil {
			return err
		}
		o.Nkeys = []*server.NkeyUser{{Nkey: pub}}
	case a.Token != "":
		o.Authorization = a.Token
	case a.User != "":
		o.Users = []*server.User{{Username: a.User, Password: a.Password}}
	}
	if a.TLS.CertFile != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
			CertFile: a.TLS.CertFile,
			KeyFile:  a.TLS.KeyFile,
			CaFile:   a.TLS.CAFile,
			Verify:   a.TLS.CAFile != "",
			Timeout:  2,
		})
		if err != nil {
			return fmt.Errorf("nats.tls: %w", err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify, o.TLSTimeout = tc, true, a.TLS.CAFile != "", 2
	}
	return nil
}

// publicKeyOf reads an NKey user seed file and returns its public key.
func publicKeyOf(seedFile string) (string, error) {
	data, err := os.ReadFile(seedFile)
	if err != nil {
		return "", fmt.Errorf("nkey file: %w", err)
	}
	defer clear(data)
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return "", fmt.Errorf("nkey file %s: no user seed", seedFile)
	}
	defer kp.Wipe()
	return kp.PublicKey()
}

// IsAuthError reports whether err is NATS refusing who the client is, or
// TLS refusing a certificate: trying again will not help.
func IsAuthError(err error) bool {
	if err == nil {
		return false
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var alert tls.AlertError
	// crypto/tls reports an alert from the peer (a certificate it
	// refused, or one it wanted) as a net.OpError "remote error".
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true
	}
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired) ||
		errors.Is(err, nats.ErrSecureConnRequired) || errors.Is(err, nats.ErrSecureConnWanted) ||
		errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &alert)
}

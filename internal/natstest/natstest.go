// Package natstest makes what tests of NATS security need, in a test's
// temporary directory: certificates (a CA, a server's, a client's), NKey
// seeds, and an operator with an account and a user (JWTs and a creds
// file), and starts nats-server in process with them.
package natstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// PKI is a certificate authority and certificates it signed, as PEM files.
type PKI struct {
	CAFile string
	// ServerCert and ServerKey name 127.0.0.1 and localhost, for serving
	// and for clients alike (server and client usage).
	ServerCert, ServerKey string
	// ClientCert and ClientKey are a client's (client usage only).
	ClientCert, ClientKey string

	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	dir   string
}

// NewPKI makes a CA named name and its certificates under a new temporary
// directory.
func NewPKI(t testing.TB, name string) *PKI {
	t.Helper()
	p := &PKI{dir: t.TempDir()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p.caKey = key
	p.CAFile = p.write(t, "ca.pem", "CERTIFICATE", der)
	p.ServerCert, p.ServerKey = p.Leaf(t, "server", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	p.ClientCert, p.ClientKey = p.Leaf(t, "client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	return p
}

// Leaf makes a certificate for 127.0.0.1 and localhost signed by the CA,
// and returns the paths of its PEM certificate and key.
func (p *PKI) Leaf(t testing.TB, name string, usage []x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+"-key.pem", "PRIVATE KEY", keyDER)
}

func (p *PKI) write(t testing.TB, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// UserSeed makes an NKey user and writes its seed to a file; it returns
// the file and the public key.
func UserSeed(t testing.TB) (seedFile, public string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	public, err = kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seedFile = filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return seedFile, public
}

// Operator is an operator with one account, with JetStream, in the NATS
// operator model, as nsc would set it up.
type Operator struct {
	operator   *jwt.OperatorClaims
	account    nkeys.KeyPair
	accountJWT string
	// system is the system account, which JetStream needs.
	system, systemJWT string
}

// NewOperator makes an operator and its account with JetStream.
func NewOperator(t testing.TB) *Operator {
	t.Helper()
	okp, err := nkeys.CreateOperator()
	if err != nil {
		t.Fatal(err)
	}
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "vigie-test"
	if _, err := oc.Encode(okp); err != nil {
		t.Fatal(err)
	}
	akp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	apub, _ := akp.PublicKey()
	ac := jwt.NewAccountClaims(apub)
	ac.Name = "VIGIE"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	ajwt, err := ac.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	skp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	spub, _ := skp.PublicKey()
	sc := jwt.NewAccountClaims(spub)
	sc.Name = "SYS"
	sjwt, err := sc.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	return &Operator{operator: oc, account: akp, accountJWT: ajwt, system: spub, systemJWT: sjwt}
}

// Creds makes a user of the operator's account and writes its creds file
// (the user JWT and its seed).
func (o *Operator) Creds(t testing.TB, name string) string {
	t.Helper()
	return credsFile(t, name, o.account)
}

// ForeignCreds makes a creds file for a user of an account that the
// operator did not sign: a server of the operator refuses it.
func ForeignCreds(t testing.TB) string {
	t.Helper()
	akp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	return credsFile(t, "intruder", akp)
}

func credsFile(t testing.TB, name string, account nkeys.KeyPair) string {
	t.Helper()
	ukp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	ujwt, err := uc.Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".creds")
	if err := os.WriteFile(path, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Configure makes a server's options trust the operator and know its
// account (a memory resolver, as a preloaded one would).
func (o *Operator) Configure(t testing.TB, opts *server.Options) {
	t.Helper()
	apub, _ := o.account.PublicKey()
	res := &server.MemAccResolver{}
	if err := res.Store(apub, o.accountJWT); err != nil {
		t.Fatal(err)
	}
	if err := res.Store(o.system, o.systemJWT); err != nil {
		t.Fatal(err)
	}
	opts.SystemAccount = o.system
	opts.TrustedOperators = []*jwt.OperatorClaims{o.operator}
	opts.AccountResolver = res
}

// Start runs nats-server in process on a random loopback port with
// JetStream in a temporary directory, after configure has had its say, and
// stops it when the test ends.
func Start(t testing.TB, configure func(*server.Options)) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	if configure != nil {
		configure(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("nats-server not ready after 10s")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// TLS makes a server's options serve TLS with the PKI's server certificate
// and require client certificates signed by its CA (mutual TLS).
func (p *PKI) TLS(t testing.TB, opts *server.Options) {
	t.Helper()
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: p.ServerCert, KeyFile: p.ServerKey, CaFile: p.CAFile, Verify: true, Timeout: 2})
	if err != nil {
		t.Fatal(err)
	}
	opts.TLSConfig, opts.TLS, opts.TLSVerify, opts.TLSTimeout = tc, true, true, 2
}

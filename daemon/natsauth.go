package daemon

import (
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
)

// natsAuth reads the credentials and TLS files of a configuration for the
// broker; every command that talks to NATS connects with them. A nil
// configuration (vigie tail without one) has none.
func natsAuth(cfg *config.Config) (broker.Auth, error) {
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

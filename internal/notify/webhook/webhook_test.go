package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/notify/webhook"
)

// The reference vector of the Standard Webhooks specification.
func TestSignReferenceVector(t *testing.T) {
	key, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignMatchesIndependentHMAC(t *testing.T) {
	raw := []byte("another key of thirty-two bytes!")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(raw)
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"schema":"vigie.alert/v1"}`)
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte("abc.cyber-diplomacy.1700000000." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := webhook.Sign(key, "abc.cyber-diplomacy", time.Unix(1700000000, 0), body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, secret string
		ok           bool
	}{
		{"prefixed", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{"bare base64", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{"not base64", "whsec_not*base64!", false},
		{"empty key", "whsec_", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ParseSecret(tt.secret)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseSecret(%q) error = %v, want ok %v", tt.secret, err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, webhook.ErrSecret) {
					t.Errorf("error %v is not ErrSecret", err)
				}
				if s := strings.TrimPrefix(tt.secret, "whsec_"); s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret", err)
				}
			}
		})
	}
}

func TestDigestIDStable(t *testing.T) {
	a := webhook.DigestID([]string{"x.c", "y.c"})
	if a != webhook.DigestID([]string{"x.c", "y.c"}) {
		t.Error("DigestID differs for the same alerts")
	}
	if a == webhook.DigestID([]string{"x.c", "z.c"}) {
		t.Error("DigestID is the same for different alerts")
	}
}

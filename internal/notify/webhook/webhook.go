// Package webhook posts Vigie alerts as vigie.alert/v1 JSON to a receiver's
// URL, signed the Standard Webhooks way so that receivers can check them.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/version"
)

// DigestSchema names the body of a digest delivery.
const DigestSchema = "vigie.digest/v1"

// Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrSecret is returned when a secret is not whsec_ followed by base64.
var ErrSecret = errors.New("webhook secret must be whsec_ followed by base64")

// Webhook delivers to one URL.
type Webhook struct {
	url    string
	key    []byte
	secret string
	client *http.Client
	now    func() time.Time
}

// New returns a webhook notifier for url. secret may be empty (no
// signature); otherwise it is "whsec_<base64 key>".
func New(url, secret string, client *http.Client, now func() time.Time) (*Webhook, error) {
	w := &Webhook{url: url, secret: secret, client: client, now: now}
	if secret != "" {
		key, err := ParseSecret(secret)
		if err != nil {
			return nil, err
		}
		w.key = key
	}
	if w.client == nil {
		w.client = http.DefaultClient
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// ParseSecret decodes a Standard Webhooks secret into the HMAC key.
func ParseSecret(secret string) ([]byte, error) {
	b64 := strings.TrimPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 {
		// The error of the decoder quotes the input: leave it out.
		return nil, ErrSecret
	}
	return key, nil
}

// Lengths of a secret's key that the Standard Webhooks specification
// allows.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ErrSecretForm is CheckSecret's error: it names the form, not the value.
var ErrSecretForm = fmt.Errorf("not a Standard Webhooks secret: want whsec_ followed by the base64 of %d to %d random bytes (make one with: echo whsec_$(openssl rand -base64 32))", MinSecretBytes, MaxSecretBytes)

// CheckSecret checks that a secret has the form the Standard Webhooks
// specification gives it: "whsec_" and the base64 of a key of 24 to 64
// bytes. It is stricter than ParseSecret, which takes what a receiver
// library would; a configuration is held to the specification.
func CheckSecret(secret string) error {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return ErrSecretForm
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return ErrSecretForm
	}
	return nil
}

// Sign returns the webhook-signature value for a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Notify posts the alert. retry reports whether the failure is worth retrying.
func (w *Webhook) Notify(ctx context.Context, a *vigie.Alert) (bool, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return w.post(ctx, a.AlertID(), body)
}

// digestBody is the JSON body of a digest.
type digestBody struct {
	Schema string    `json:"schema"`
	Route  string    `json:"route"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Count  int       `json:"count"`
	// Stories counts the stories the alerts report, on a route that
	// notifies per story.
	Stories int            `json:"stories,omitempty"`
	Alerts  []*vigie.Alert `json:"alerts"`
}

// NotifyDigest posts every alert of a period in one vigie.digest/v1 body.
func (w *Webhook) NotifyDigest(ctx context.Context, d *receiver.Digest) (bool, error) {
	body, err := json.Marshal(digestBody{
		Schema: DigestSchema, Route: d.Route, Since: d.Since.UTC(), Until: d.Until.UTC(),
		Count: len(d.Alerts), Stories: d.Stories(), Alerts: d.Alerts,
	})
	if err != nil {
		return false, fmt.Errorf("encode digest: %w", err)
	}
	return w.post(ctx, d.ID, body)
}

func (w *Webhook) post(ctx context.Context, id string, body []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook request to %s: bad URL", redact.Host(w.url))
	}
	ts := w.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", version.UserAgent())
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	if w.key != nil {
		req.Header.Set(HeaderSignature, Sign(w.key, id, ts, body))
	}
	if err := receiver.Post(w.client, req, w.now, w.url, w.secret); err != nil {
		var re *receiver.Error
		retry := errors.As(err, &re) && re.Retry
		return retry, fmt.Errorf("webhook %s: %w", redact.Host(w.url), err)
	}
	return false, nil
}

// DigestID is a stable webhook-id for a batch of alerts: the same alerts give
// the same id on every attempt.
func DigestID(msgIDs []string) string {
	h := sha256.New()
	for _, id := range msgIDs {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return "digest." + hex.EncodeToString(h.Sum(nil)[:16])
}

package receiver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/notify/receiver"
)

func TestPostClassifiesAnswers(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		wantErr    bool
		wantRetry  bool
		wantAfter  time.Duration
	}{
		{200, "", false, false, 0},
		{204, "", false, false, 0},
		{400, "", true, false, 0},
		{401, "", true, false, 0},
		{404, "", true, false, 0},
		{410, "", true, false, 0},
		{408, "", true, true, 0},
		{429, "2", true, true, 2 * time.Second},
		{429, "", true, true, 0},
		{500, "7", true, true, 0}, // Retry-After only counts on 429 and 503
		{502, "", true, true, 0},
		{503, "3", true, true, 3 * time.Second},
		{429, "86400", true, true, receiver.MaxRetryAfter}, // a day is capped
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte("answer for " + r.URL.Path))
			}))
			defer srv.Close()
			secretURL := srv.URL + "/hook/SECRETPATH"
			req, _ := http.NewRequest(http.MethodPost, secretURL, strings.NewReader("{}"))
			err := receiver.Post(srv.Client(), req, time.Now, secretURL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Post error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			re := err.(*receiver.Error)
			if re.Status != tt.status || re.Retry != tt.wantRetry || re.RetryAfter != tt.wantAfter {
				t.Errorf("Error = {Status %d, Retry %v, RetryAfter %v}, want {%d, %v, %v}", re.Status, re.Retry, re.RetryAfter, tt.status, tt.wantRetry, tt.wantAfter)
			}
			if strings.Contains(err.Error(), "SECRETPATH") {
				t.Errorf("error %q shows the secret path the receiver echoed", err)
			}
		})
	}
}

func TestPostTransportErrorIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	u := srv.URL + "/services/T1/B2/TOPSECRET"
	srv.Close() // nothing listens any more
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
	err := receiver.Post(http.DefaultClient, req, time.Now, u)
	re, ok := err.(*receiver.Error)
	if !ok || !re.Retry || re.Status != 0 {
		t.Fatalf("Post to a closed port = %#v, want a retryable error without status", err)
	}
	if strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("error %q shows the secret", err)
	}
}

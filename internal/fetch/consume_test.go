package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConsume: a Request with Consume gets the body as it arrives,
// decompressed (a .gz file served as is, too), within the limit; past it,
// the reads fail with ErrTooLarge, which Fetch returns unless Consume kept
// what came before; an error of Consume's own is returned as is.
func TestConsume(t *testing.T) {
	t.Parallel()
	doc := strings.Repeat("<url><loc>https://example.org/a</loc></url>\n", 200)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, doc)
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			io.WriteString(w, doc)
		case "/file.xml.gz":
			w.Header().Set("Content-Type", "application/x-gzip")
			w.Write(gz.Bytes())
		case "/endless":
			// No Content-Length: the limit is found by reading.
			w.(http.Flusher).Flush()
			for i := 0; i < 1000; i++ {
				if _, err := io.WriteString(w, doc); err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()
	f := newFetcher(Options{MaxBodyBytes: int64(len(doc)) * 2})

	readAll := func(got *[]byte) func(io.Reader) error {
		return func(r io.Reader) error {
			b, err := io.ReadAll(r)
			*got = b
			return err
		}
	}
	for _, path := range []string{"/plain", "/file.xml.gz"} {
		var got []byte
		resp, err := f.Fetch(context.Background(), Request{FeedID: "f", URL: srv.URL + path, Consume: readAll(&got)})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if string(got) != doc || resp.Body != nil || resp.BodyBytes != int64(len(doc)) {
			t.Errorf("%s: consumed %d bytes (body %d, BodyBytes %d), want the %d of the document", path, len(got), len(resp.Body), resp.BodyBytes, len(doc))
		}
	}

	var got []byte
	_, err := f.Fetch(context.Background(), Request{FeedID: "f", URL: srv.URL + "/endless", Consume: readAll(&got)})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("endless body read whole: %v, want ErrTooLarge", err)
	}

	var kept int
	resp, err := f.Fetch(context.Background(), Request{FeedID: "f", URL: srv.URL + "/endless", Consume: func(r io.Reader) error {
		n, _ := io.Copy(io.Discard, r) // keeps what came before the limit
		kept = int(n)
		return nil
	}})
	if err != nil || kept != 2*len(doc) || resp.BodyBytes != int64(kept) {
		t.Errorf("endless body cut by its reader: err %v, %d bytes kept (BodyBytes %v), want nil and %d", err, kept, resp, 2*len(doc))
	}

	errOwn := errors.New("not a sitemap")
	_, err = f.Fetch(context.Background(), Request{FeedID: "f", URL: srv.URL + "/plain", Consume: func(io.Reader) error { return errOwn }})
	if !errors.Is(err, errOwn) || errors.Is(err, ErrNetwork) {
		t.Errorf("Consume's own error came back as %v, want it as is", err)
	}
}

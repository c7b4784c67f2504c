package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// readBody reads at most limit bytes of body after undoing the content
// encodings, outermost last as listed. A body that is still gzip after that
// (servers that gzip a file and forget the header) is unwrapped too.
func readBody(body io.Reader, contentEncoding string, limit int64) ([]byte, error) {
	r := body
	var codings []string
	for _, c := range strings.Split(contentEncoding, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	for i := len(codings) - 1; i >= 0; i-- {
		d, err := decoder(codings[i], r)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		r = d
	}
	if len(codings) == 0 {
		br := bufio.NewReader(r)
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			d, err := decoder("gzip", br)
			if err != nil {
				return nil, err
			}
			defer d.Close()
			r = d
		} else {
			r = br
		}
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

func decoder(coding string, r io.Reader) (io.ReadCloser, error) {
	switch coding {
	case "gzip", "x-gzip":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrNetwork, err)
		}
		return z, nil
	case "deflate":
		// "deflate" is zlib-wrapped by the spec and raw in some servers.
		br := bufio.NewReader(r)
		if h, _ := br.Peek(2); len(h) == 2 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 && h[0]&0x0f == 8 {
			z, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("%w: deflate: %w", ErrNetwork, err)
			}
			return z, nil
		}
		return flate.NewReader(br), nil
	case "br":
		return io.NopCloser(brotli.NewReader(r)), nil
	}
	return nil, fmt.Errorf("%w: unsupported content encoding %q", ErrNetwork, coding)
}

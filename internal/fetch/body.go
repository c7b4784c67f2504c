package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// readBody reads at most limit bytes of body after undoing the content
// encodings (see decodeBody); more fails as a Consume's reads do.
func readBody(body io.Reader, contentEncoding string, limit int64) ([]byte, error) {
	r, closeAll, err := decodeBody(body, contentEncoding)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&cappedReader{r: r, limit: limit}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeBody undoes the content encodings of body, outermost last as
// listed. A body that is still gzip after that (servers that gzip a file
// and forget the header, a .gz file served as is, or one served with a
// content encoding of its own) is unwrapped too.
func decodeBody(body io.Reader, contentEncoding string) (r io.Reader, closeAll func(), err error) {
	r = body
	var closers []io.Closer
	closeAll = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i].Close()
		}
	}
	var codings []string
	for _, c := range strings.Split(contentEncoding, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	for i := len(codings) - 1; i >= 0; i-- {
		d, err := decoder(codings[i], r)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		closers = append(closers, d)
		r = d
	}
	br := peekers.Get().(*bufio.Reader)
	br.Reset(r)
	closers = append(closers, release{br})
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, closeAll, nil
	}
	d, err := decoder("gzip", br)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, d)
	return d, closeAll, nil
}

// peekers are the buffered readers decodeBody looks for gzip's magic bytes
// through, kept from one body to the next: a cycle reads thousands.
var peekers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// release gives a peeker back to the pool when the body is closed.
type release struct{ br *bufio.Reader }

func (r release) Close() error {
	r.br.Reset(nil)
	peekers.Put(r.br)
	return nil
}

// cappedReader reads at most limit bytes of r; reading more fails with an
// error wrapping ErrTooLarge. n counts the bytes read.
type cappedReader struct {
	r     io.Reader
	limit int64
	n     int64
	// err is the first failure of the body itself (too large, network),
	// as opposed to what its reader made of it.
	err error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		// One byte more says whether the body really goes on.
		var one [1]byte
		if k, _ := io.ReadFull(c.r, one[:]); k == 0 {
			return 0, io.EOF
		}
		c.err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.limit)
		return 0, c.err
	}
	if rest := c.limit - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("reading body: %w", err)
		c.err = err
	}
	return k, err
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

package httpapi

import "testing"

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"":                         false,
		"gzip":                     true,
		"gzip, deflate, br, zstd":  true,
		"br;q=1.0, GZIP;q=0.5":     true,
		"deflate, gzip;q=0":        false,
		"gzip; q=0.000":            false,
		"identity":                 false,
		"x-gzip":                   false,
		"deflate , gzip ; q=0.8 ,": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

package textmatch

import (
	"bytes"
	"testing"
)

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Hello World", "Élysée — ＯＥＷＧ", "الأَمْــن", "e\u0301", "ﬁ ﬀ", "網絡安全 サイバー ｻｲﾊﾞｰ", "Ё ß İ ς", "\xff\xfe", "a\u200b-\u2011b  c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var fd Folded
		fd.Fold(text)
		checkFolded(t, &fd)
		if fd.NFKC != NFKC(text) {
			t.Fatalf("nfkc of %q: %q, want %q", text, fd.NFKC, NFKC(text))
		}
		want, _ := appendFolded(nil, nil, false, fd.NFKC, false)
		if !bytes.Equal(fd.S, want) {
			t.Fatalf("fold(%q) = %q, slow path %q", text, fd.S, want)
		}
	})
}

func TestFoldMapsOffsets(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"ascii", "Hello  World", "hello world"},
		{"accents", "Élysée", "elysee"},
		{"dashes", "a \u2014 b", "a b"},
		{"arabic", "الأَمْــن", "الامن"},
		{"fullwidth", "ＡＢ", "ab"},
		{"zero width", "a\u200bb", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Folded
			f.Fold(tt.text)
			if string(f.S) != tt.want {
				t.Errorf("fold(%q) = %q, want %q", tt.text, f.S, tt.want)
			}
			checkFolded(t, &f)
		})
	}
}

// checkFolded checks the invariants of the offset map.
func checkFolded(t testing.TB, f *Folded) {
	t.Helper()
	if len(f.Src) != len(f.S)+1 {
		t.Fatalf("len(src) = %d, want %d", len(f.Src), len(f.S)+1)
	}
	for i := range f.Src {
		if f.Src[i] < 0 || int(f.Src[i]) > len(f.NFKC) {
			t.Fatalf("src[%d] = %d out of [0, %d]", i, f.Src[i], len(f.NFKC))
		}
		if i > 0 && f.Src[i] < f.Src[i-1] {
			t.Fatalf("src not monotonic at %d", i)
		}
	}
	if f.Src[len(f.S)] != int32(len(f.NFKC)) {
		t.Fatalf("src[end] = %d, want %d", f.Src[len(f.S)], len(f.NFKC))
	}
}

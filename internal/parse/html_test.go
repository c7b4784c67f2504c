package parse

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// czech is Central European text, in an encoding that only a declaration
// can name.
const czech = "Vláda schválila národní strategii kybernetické bezpečnosti a Česká republika podpořila závěrečnou zprávu pracovní skupiny OSN o odpovědném chování států v kyberprostoru."

func TestHTMLToUTF8(t *testing.T) {
	page := func(head, text string) string {
		return "<!doctype html><html><head>" + head + "<title>T</title></head><body><article><p>" + text + "</p></article></body></html>"
	}
	meta := func(cs string) string { return `<meta charset="` + cs + `">` }
	equiv := func(cs string) string {
		return `<meta http-equiv="Content-Type" content="text/html; charset=` + cs + `">`
	}
	tests := []struct {
		name        string
		enc         encoding.Encoding // nil: UTF-8
		prefix      []byte            // BOM
		head        string
		contentType string
		text        string
		wantEnc     string
	}{
		{"utf-8, nothing declared", nil, nil, "", "text/html", french, "utf-8"},
		{"utf-8 BOM, nothing declared", nil, []byte{0xEF, 0xBB, 0xBF}, "", "text/html", russian, "utf-8"},
		{"meta charset windows-1251", charmap.Windows1251, nil, meta("windows-1251"), "text/html", russian, "windows-1251"},
		{"http-equiv shift_jis", japanese.ShiftJIS, nil, equiv("Shift_JIS"), "", japanese1, "shift_jis"},
		{"http charset gb2312", simplifiedchinese.GBK, nil, "", "text/html; charset=gb2312", chineseS, "gbk"},
		{"http charset beats a lying meta", charmap.Windows1251, nil, meta("utf-8"), "text/html; charset=windows-1251", russian, "windows-1251"},
		{"http says latin-1, meta and bytes utf-8", nil, nil, meta("utf-8"), "text/html; charset=ISO-8859-1", french, "utf-8"},
		{"http says utf-8, bytes and meta windows-1252", charmap.Windows1252, nil, meta("windows-1252"), "text/html; charset=utf-8", western, "windows-1252"},
		{"meta koi8-r after other meta", charmap.KOI8R, nil, `<meta name="viewport" content="width=device-width">` + meta("koi8-r"), "", russian, "koi8-r"},
		{"meta iso-8859-2, beyond the guesses", charmap.ISO8859_2, nil, meta("iso-8859-2"), "text/html", czech, "iso-8859-2"},
		{"http-equiv windows-1250 under a default http charset", charmap.Windows1250, nil, equiv("windows-1250"), "text/html; charset=iso-8859-1", czech, "windows-1250"},
		{"undeclared euc-jp", japanese.EUCJP, nil, "", "text/html", japanese1, "euc-jp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := page(tt.head, tt.text)
			body := []byte(doc)
			if tt.enc != nil {
				body = encode(t, tt.enc, doc)
			}
			body = append(append([]byte{}, tt.prefix...), body...)
			out, enc := HTMLToUTF8(body, tt.contentType)
			if enc != tt.wantEnc {
				t.Errorf("read as %s, want %s", enc, tt.wantEnc)
			}
			if !utf8.Valid(out) {
				t.Fatalf("output is not UTF-8")
			}
			if !bytes.Contains(out, []byte(tt.text)) {
				t.Errorf("text lost: %.300q", out)
			}
			if bytes.HasPrefix(out, []byte{0xEF, 0xBB, 0xBF}) {
				t.Errorf("BOM kept")
			}
		})
	}
}

func FuzzHTMLToUTF8(f *testing.F) {
	f.Add([]byte(`<meta charset="koi8-r"><p>`+"\xf0\xd2\xc9\xd7\xc5\xd4"), "text/html")
	f.Add([]byte("\xef\xbb\xbf<p>caf\xc3\xa9</p>"), "text/html; charset=iso-8859-1")
	f.Add([]byte(`<meta http-equiv="content-type" content="text/html; charset=shift_jis"><p>`+"\x93\xfa\x96\x7b"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, name := HTMLToUTF8(body, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("not UTF-8 (read as %s): %q", name, out)
		}
		if name == "" {
			t.Fatal("no encoding named")
		}
	})
}

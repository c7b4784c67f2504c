package parse

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Sample texts in the scripts Vigie reads, long enough to look like a feed
// item's description.
const (
	japanese1 = "東京で開かれた国際会議では、サイバー空間における国家の責任ある行動について各国の代表が意見を交わした。日本政府は新しい協力の枠組みを提案し、途上国の能力構築を支援すると述べた。"
	chineseS  = "联合国大会今天在纽约举行会议，各国代表讨论了网络空间的国际规则和负责任国家行为准则。中国代表表示愿意加强合作，共同维护网络安全与和平。"
	chineseT  = "聯合國大會今天在紐約舉行會議，各國代表討論了網路空間的國際規則與負責任國家行為準則。專家們也發表了看法，認為應該加強對話與合作。"
	russian   = "Представители государств обсудили в Женеве правила ответственного поведения в киберпространстве и меры укрепления доверия между странами. Эксперты отметили важность сотрудничества."
	french    = "Les représentants des États ont discuté à Genève des règles de comportement responsable dans le cyberespace. Le débat a été très animé ; les experts ont salué l'accord."
	western   = "Der Präsident äußerte sich über die Zusammenarbeit – „Vertrauen ist gut“ – und die Behörden prüfen die Maßnahmen für 2025 im Wert von 5 €."
)

// rssDoc returns a one-item RSS document with the given XML declaration.
func rssDoc(decl, title, text string) string {
	return decl + "\n<rss version=\"2.0\"><channel><title>" + title + "</title><link>https://example.org/</link>" +
		"<item><title>" + title + "</title><description>" + text + "</description><link>/a/1</link></item>" +
		"</channel></rss>"
}

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding the fixture: %v", err)
	}
	return b
}

func TestToUTF8(t *testing.T) {
	decl := func(enc string) string { return `<?xml version="1.0" encoding="` + enc + `"?>` }
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name        string
		enc         encoding.Encoding // nil: UTF-8
		prefix      []byte            // BOM
		decl        string
		contentType string
		text        string
		wantEnc     string
	}{
		{"utf-8, nothing declared", nil, nil, "", "", french, "utf-8"},
		{"utf-8 with BOM", nil, []byte{0xEF, 0xBB, 0xBF}, decl("utf-8"), "", russian, "utf-8"},
		{"utf-16le with BOM", utf16le, []byte{0xFF, 0xFE}, decl("utf-16"), "", japanese1, "utf-16le"},
		{"utf-16be with BOM", utf16be, []byte{0xFE, 0xFF}, decl("utf-16"), "", chineseS, "utf-16be"},
		{"utf-16le without BOM", utf16le, nil, decl("utf-16le"), "", russian, "utf-16le"},
		{"utf-16be without BOM", utf16be, nil, decl("utf-16be"), "", french, "utf-16be"},
		{"utf-32be with BOM", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), []byte{0, 0, 0xFE, 0xFF}, decl("utf-32"), "", japanese1, "utf-32be"},
		{"BOM beats a lying charset", utf16le, []byte{0xFF, 0xFE}, decl("utf-16"), "text/xml; charset=iso-8859-1", russian, "utf-16le"},
		{"shift_jis in the prolog", japanese.ShiftJIS, nil, decl("Shift_JIS"), "", japanese1, "shift_jis"},
		{"euc-jp in the prolog", japanese.EUCJP, nil, decl("EUC-JP"), "", japanese1, "euc-jp"},
		{"gb2312 in the prolog", simplifiedchinese.GBK, nil, decl("gb2312"), "", chineseS, "gbk"},
		{"big5 in the prolog", traditionalchinese.Big5, nil, decl("big5"), "", chineseT, "big5"},
		{"windows-1251 in the prolog", charmap.Windows1251, nil, decl("windows-1251"), "", russian, "windows-1251"},
		{"koi8-r in the prolog", charmap.KOI8R, nil, decl("KOI8-R"), "", russian, "koi8-r"},
		{"iso-8859-1 in the prolog", charmap.ISO8859_1, nil, decl("ISO-8859-1"), "", french, "windows-1252"},
		{"windows-1252 in the prolog", charmap.Windows1252, nil, decl("windows-1252"), "", western, "windows-1252"},
		{"http charset overrides the prolog", charmap.Windows1251, nil, decl("iso-8859-1"), "application/rss+xml; charset=windows-1251", russian, "windows-1251"},
		{"http charset with spaces and quotes", charmap.KOI8R, nil, "", `text/xml;charset = "koi8-r"`, russian, "koi8-r"},
		{"http charset lies, prolog right", japanese.ShiftJIS, nil, decl("Shift_JIS"), "text/xml; charset=utf-8", japanese1, "shift_jis"},
		{"prolog says latin-1, bytes are utf-8", nil, nil, decl("iso-8859-1"), "", french, "utf-8"},
		{"prolog says windows-1252, bytes are utf-8", nil, nil, decl("windows-1252"), "", western, "utf-8"},
		{"default http charset, prolog right", charmap.Windows1251, nil, decl("windows-1251"), "text/xml; charset=ISO-8859-1", russian, "windows-1251"},
		{"default http charset, nothing else", charmap.Windows1251, nil, "", "text/xml; charset=iso-8859-1", russian, "windows-1251"},
		{"prolog says koi8-r, bytes are windows-1251", charmap.Windows1251, nil, decl("koi8-r"), "", russian, "windows-1251"},
		{"prolog says windows-1251, bytes are koi8-r", charmap.KOI8R, nil, decl("windows-1251"), "", russian, "koi8-r"},
		{"prolog says latin-1, bytes are latin-1 german", charmap.ISO8859_1, nil, decl("iso-8859-1"), "", "Größere Maßnahmen für Bürger", "windows-1252"},
		{"prolog says utf-8, bytes are windows-1251", charmap.Windows1251, nil, decl("utf-8"), "", russian, "windows-1251"},
		{"prolog says euc-jp, bytes are shift_jis", japanese.ShiftJIS, nil, decl("EUC-JP"), "", japanese1, "shift_jis"},
		{"prolog says utf-16, bytes are ascii-compatible", nil, nil, decl("utf-16"), "", french, "utf-8"},
		{"unknown label", nil, nil, decl("x-no-such-charset"), "", russian, "utf-8"},
		{"undeclared shift_jis", japanese.ShiftJIS, nil, "", "", japanese1, "shift_jis"},
		{"undeclared euc-jp", japanese.EUCJP, nil, "", "", japanese1, "euc-jp"},
		{"undeclared gb2312", simplifiedchinese.GBK, nil, "", "", chineseS, "gbk"},
		{"undeclared big5", traditionalchinese.Big5, nil, "", "", chineseT, "big5"},
		{"undeclared windows-1251", charmap.Windows1251, nil, "", "", russian, "windows-1251"},
		{"undeclared koi8-r", charmap.KOI8R, nil, "", "", russian, "koi8-r"},
		{"undeclared iso-8859-1", charmap.ISO8859_1, nil, "", "", french, "windows-1252"},
		{"undeclared windows-1252", charmap.Windows1252, nil, "", "", western, "windows-1252"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := rssDoc(tt.decl, "T", tt.text)
			body := []byte(doc)
			if tt.enc != nil {
				body = encode(t, tt.enc, doc)
			}
			body = append(append([]byte{}, tt.prefix...), body...)
			out, enc := ToUTF8(body, tt.contentType)
			if enc != tt.wantEnc {
				t.Errorf("read as %s, want %s", enc, tt.wantEnc)
			}
			if !utf8.Valid(out) {
				t.Fatalf("output is not UTF-8")
			}
			if !bytes.Contains(out, []byte(tt.text)) {
				t.Errorf("text lost: %.300q", out)
			}
			if tt.decl != "" && !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
				t.Errorf("declaration not rewritten: %.80q", out)
			}
			f, err := Parse(body, tt.contentType, "https://example.org/feed")
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 || f.Items[0].Description != tt.text {
				t.Errorf("parsed description %q", f.Items[0].Description)
			}
		})
	}
}

func TestCleanXML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"whitespace before the declaration", "\n  <?xml version='1.0'?><rss/>", `<?xml version="1.0" encoding="UTF-8"?><rss/>`},
		{"control characters", "<rss>a\x00b\x0bc\x1fd\te</rss>", "<rss>abcd\te</rss>"},
		{"noncharacters", "<rss>a\uFFFEb\uFFFF</rss>", "<rss>ab</rss>"},
		{"invalid utf-8 bytes", "<rss>a\xffb</rss>", "<rss>ab</rss>"},
		{"clean input untouched", "<rss>日本語 – ok</rss>", "<rss>日本語 – ok</rss>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(cleanXML([]byte(tt.in))); got != tt.want {
				t.Errorf("cleanXML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const feedURL = "https://news.example.org/feeds/world.xml"
	tests := []struct {
		name        string
		body        string
		contentType string
		wantErr     error
		wantMsg     string // in the error
		wantItems   int
		wantLink    string // first item's link
		check       func(t *testing.T, title string)
	}{
		{name: "rss 2.0", body: rssDoc("", "World", "text"), wantItems: 1, wantLink: "https://example.org/a/1"},
		{name: "rss relative to the feed url", wantItems: 1, wantLink: "https://news.example.org/feeds/item/2",
			body: `<rss version="2.0"><channel><title>W</title><item><title>x</title><link>item/2</link></item></channel></rss>`},
		{name: "rss with relative channel link", wantItems: 1, wantLink: "https://news.example.org/world/item/3",
			body: `<rss version="2.0"><channel><title>W</title><link>/world/</link><item><title>x</title><link>item/3</link></item></channel></rss>`},
		{name: "atom with xml:base", wantItems: 1, wantLink: "https://base.example.net/posts/4",
			body: `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example.net/posts/"><title>A</title>` +
				`<entry><title>e</title><id>urn:x:4</id><link href="4"/></entry></feed>`},
		{name: "rdf", wantItems: 2, wantLink: "https://example.org/r/1",
			body: `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">` +
				`<channel rdf:about="https://example.org/"><title>R</title><link>https://example.org/</link></channel>` +
				`<item rdf:about="https://example.org/r/1"><title>1</title><link>https://example.org/r/1</link></item>` +
				`<item rdf:about="https://example.org/r/2"><title>2</title><link>https://example.org/r/2</link></item></rdf:RDF>`},
		{name: "json feed", contentType: "application/feed+json", wantItems: 1, wantLink: "https://example.org/j/1",
			body: `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://example.org/j/1","content_text":"hi"}]}`},
		{name: "root after a long comment", wantItems: 1, wantLink: "https://example.org/a/1",
			body: `<?xml version="1.0"?>` + "\n<!-- " + strings.Repeat("generated by a very chatty tool ", 300) + "-->\n" +
				`<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>` + rssDoc("", "late", "root")},
		{name: "html page with a feed inside", body: "<html><body>" + strings.Repeat("padding ", 600) + rssDoc("", "x", "y") + "</body></html>", wantErr: ErrNotAFeed},
		{name: "html page that links to its feed", wantErr: ErrNotAFeed, wantMsg: "it links to the feed https://news.example.org/rss.xml",
			body: `<!DOCTYPE html><html><head><link rel="stylesheet" href="/s.css"><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>hi</body></html>`},
		{name: "html page", body: "<!DOCTYPE html><html><head><title>Home</title></head><body><p>hi</p></body></html>", wantErr: ErrNotAFeed},
		{name: "empty body", body: "", wantErr: ErrNotAFeed},
		{name: "whitespace only", body: " \r\n\t ", wantErr: ErrNotAFeed},
		{name: "random bytes", body: "\x8f\x02\x99garbage\xff\xfe\x00\x01", wantErr: ErrNotAFeed},
		{name: "plain text", body: "Service Unavailable", wantErr: ErrNotAFeed},
		{name: "other xml", body: `<?xml version="1.0"?><note><to>x</to></note>`, wantErr: ErrNotAFeed},
		{name: "truncated xml", body: `<rss version="2.0"><channel><title>W</title><item><title>cut he`, wantErr: ErrMalformed},
		{name: "truncated json", body: `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":`, wantErr: ErrMalformed},
		{name: "entity bomb", wantItems: 1, body: `<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rss version="2.0"><channel><title>&f;</title><item><title>&f;&f;&f;</title></item></channel></rss>`,
			check: func(t *testing.T, title string) {
				if len(title) > 1000 {
					t.Errorf("entities expanded to %d bytes", len(title))
				}
			}},
		{name: "external entity", wantItems: 1, body: `<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title></item></channel></rss>`,
			check: func(t *testing.T, title string) {
				if strings.Contains(title, "root:") {
					t.Errorf("external entity read: %q", title)
				}
			}},
		{name: "hostile nesting", body: `<rss><channel><item><x:y xmlns:x="urn:x">` + strings.Repeat("<x:y>", MaxDepth) + `</x:y></item></channel></rss>`,
			wantErr: ErrMalformed},
		{name: "deep but legal xhtml content", wantItems: 1,
			body: `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">` +
				strings.Repeat("<div>", 100) + "deep" + strings.Repeat("</div>", 100) + `</div></content></entry></feed>`},
		{name: "html entities in rss", wantItems: 1, body: `<rss version="2.0"><channel><title>t</title><item><title>caf&eacute; &laquo;x&raquo; &amp; &#8220;y&#8221;</title></item></channel></rss>`,
			check: func(t *testing.T, title string) {
				if title != "café «x» & “y”" {
					t.Errorf("title %q", title)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), tt.contentType, feedURL)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || f != nil {
					t.Fatalf("got %v, %v; want %v", f, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q lacks %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != tt.wantItems {
				t.Fatalf("%d items, want %d", len(f.Items), tt.wantItems)
			}
			if tt.wantLink != "" && f.Items[0].Link != tt.wantLink {
				t.Errorf("link %q, want %q", f.Items[0].Link, tt.wantLink)
			}
			if tt.check != nil {
				tt.check(t, f.Items[0].Title)
			}
		})
	}
}

func TestInterval(t *testing.T) {
	rss := func(channel string) string {
		return `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>` + channel + `</channel></rss>`
	}
	tests := []struct {
		name string
		body string
		want time.Duration
	}{
		{"nothing", rss(""), 0},
		{"ttl", rss("<ttl>60</ttl>"), time.Hour},
		{"ttl with spaces", rss("<ttl> 15 </ttl>"), 15 * time.Minute},
		{"ttl not a number", rss("<ttl>soon</ttl>"), 0},
		{"ttl zero", rss("<ttl>0</ttl>"), 0},
		{"ttl absurd", rss("<ttl>999999999</ttl>"), MaxInterval},
		{"sy hourly", rss("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>"), time.Hour},
		{"sy hourly twice", rss("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"), 30 * time.Minute},
		{"sy frequency only means daily", rss("<sy:updateFrequency>4</sy:updateFrequency>"), 6 * time.Hour},
		{"sy weekly capped", rss("<sy:updatePeriod>weekly</sy:updatePeriod>"), MaxInterval},
		{"sy bad period", rss("<sy:updatePeriod>fortnightly</sy:updatePeriod>"), 0},
		{"sy bad frequency", rss("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>-1</sy:updateFrequency>"), 0},
		{"larger of ttl and sy", rss("<ttl>90</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"), 90 * time.Minute},
		{"atom has none", `<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title></feed>`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "", "https://example.org/")
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Interval; got != tt.want {
				t.Errorf("Interval = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSkip checks that RSS skipHours and skipDays are handed on as the
// feed wrote them.
func TestSkip(t *testing.T) {
	f, err := Parse([]byte(`<rss version="2.0"><channel><title>t</title><skipHours><hour>0</hour><hour>23</hour></skipHours><skipDays><day>Saturday</day><day>Sunday</day></skipDays><item><title>x</title></item></channel></rss>`), "", "https://example.org/")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.SkipHours, ",") != "0,23" || strings.Join(f.SkipDays, ",") != "Saturday,Sunday" {
		t.Errorf("skip hours %q, days %q", f.SkipHours, f.SkipDays)
	}
	none, err := Parse([]byte(`<rss version="2.0"><channel><title>t</title></channel></rss>`), "", "https://example.org/")
	if err != nil {
		t.Fatal(err)
	}
	if len(none.SkipHours)+len(none.SkipDays) != 0 {
		t.Errorf("a feed with no skip: hours %q, days %q", none.SkipHours, none.SkipDays)
	}
}

func TestStrayBytes(t *testing.T) {
	tests := []struct {
		name    string
		decl    string
		text    string
		stray   string
		wantEnc string
		want    string
	}{
		{"utf-8 declared, one stray byte", `<?xml version="1.0" encoding="utf-8"?>`, russian, "\xff", "utf-8", russian},
		{"nothing declared, one stray byte", "", japanese1, "\x92", "utf-8", japanese1},
		{"utf-8 declared, mostly windows-1251", `<?xml version="1.0" encoding="utf-8"?>`, "", "", "windows-1251", russian},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.text != "" {
				body = []byte(rssDoc(tt.decl, "T", tt.text+tt.stray+" "+tt.text))
			} else {
				// Mostly windows-1251 with one UTF-8 word.
				body = encode(t, charmap.Windows1251, rssDoc(tt.decl, "T", russian))
				body = append(body, []byte("<!-- Жж -->")...)
			}
			out, enc := ToUTF8(body, "")
			if enc != tt.wantEnc {
				t.Errorf("read as %s, want %s", enc, tt.wantEnc)
			}
			if !bytes.Contains(out, []byte(tt.want)) || !utf8.Valid(out) {
				t.Errorf("text lost: %.200q", out)
			}
		})
	}
}

// TestGuessShort checks the guess on titles of a few characters, the
// hardest case: nothing declared and little text to score.
func TestGuessShort(t *testing.T) {
	tests := []struct {
		enc  encoding.Encoding
		want string
		text string
	}{
		{japanese.ShiftJIS, "shift_jis", "東京の会議"},
		{japanese.EUCJP, "euc-jp", "東京の会議"},
		{japanese.ShiftJIS, "shift_jis", "日本政府"},
		{japanese.EUCJP, "euc-jp", "日本政府"},
		{simplifiedchinese.GBK, "gbk", "联合国会议"},
		{simplifiedchinese.GBK, "gbk", "网络安全"},
		{traditionalchinese.Big5, "big5", "聯合國會議"},
		{traditionalchinese.Big5, "big5", "網路安全"},
		{charmap.Windows1251, "windows-1251", "Новости"},
		{charmap.KOI8R, "koi8-r", "Новости"},
		{charmap.Windows1251, "windows-1251", "Лента"},
		{charmap.KOI8R, "koi8-r", "Лента"},
		{charmap.Windows1252, "windows-1252", "Café"},
		{charmap.Windows1252, "windows-1252", "Élysée à Noël"},
		{charmap.ISO8859_1, "windows-1252", "Straße"},
	}
	for _, tt := range tests {
		t.Run(tt.want+" "+tt.text, func(t *testing.T) {
			body := encode(t, tt.enc, "<rss><channel><title>"+tt.text+"</title></channel></rss>")
			out, enc := ToUTF8(body, "")
			if enc != tt.want || !bytes.Contains(out, []byte(tt.text)) {
				t.Errorf("read as %s: %q", enc, out)
			}
		})
	}
}

package main

import (
	"bytes"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// farm serves the feeds from many loopback addresses (127.10.x.y, one
// listener each), with an ETag per feed so that a conditional GET of an
// unchanged feed is answered 304. Bodies are written on request, so that the
// farm's memory stays small.
type farm struct {
	urls  []string
	items int
	srv   *http.Server
	// full and notModified count the answers of each kind.
	full, notModified atomic.Int64
	// published is the items' publication time: recent, so that no max_age
	// leaves them out.
	published string
}

// startFarm listens on hosts loopback addresses and spreads feeds over them:
// feed i is on host i mod hosts, so that consecutive feeds are on different
// hosts as in a real list.
func startFarm(feeds, hosts, items int) (*farm, error) {
	fm := &farm{items: items, published: time.Now().Add(-time.Hour).UTC().Format(time.RFC1123Z)}
	fm.srv = &http.Server{Handler: http.HandlerFunc(fm.serve), ReadHeaderTimeout: 10 * time.Second}
	addrs := make([]string, hosts)
	for h := range hosts {
		ip := fmt.Sprintf("127.10.%d.%d", h/250, h%250+1)
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			fm.srv.Close()
			return nil, fmt.Errorf("listen on %s (Linux routes all of 127.0.0.0/8 to loopback): %w", ip, err)
		}
		addrs[h] = l.Addr().String()
		go func() { _ = fm.srv.Serve(l) }()
	}
	for i := range feeds {
		fm.urls = append(fm.urls, fmt.Sprintf("http://%s/feeds/%d.xml", addrs[i%hosts], i))
	}
	return fm, nil
}

func (fm *farm) close() { fm.srv.Close() }

func (fm *farm) serve(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feeds/"), ".xml")
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 || n >= len(fm.urls) {
		http.NotFound(w, r)
		return
	}
	etag := `"scale-` + id + `-v1"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		fm.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var buf bytes.Buffer
	buf.Grow(4096)
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"><channel><title>Scale feed " + id +
		"</title><link>http://" + r.Host + "/</link>\n")
	for j := range fm.items {
		title, body := item(n*fm.items + j)
		fmt.Fprintf(&buf, "<item><guid isPermaLink=\"false\">scale-%s-%d</guid><title>%s</title>"+
			"<link>http://%s/stories/%s/%d</link><pubDate>%s</pubDate><description>%s</description></item>\n",
			id, j, html.EscapeString(title), r.Host, id, j, fm.published, html.EscapeString(body))
	}
	buf.WriteString("</channel></rss>\n")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fm.full.Add(1)
	_, _ = w.Write(buf.Bytes())
}

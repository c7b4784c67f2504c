// Package feedfarm serves many RSS feeds from many loopback addresses,
// each feed with an ETag so that a conditional GET of an unchanged feed is
// answered 304: the fixture of Vigie's cycle benchmarks (daemon's
// BenchmarkCycle, and test/scale).
package feedfarm

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

// Options say what a farm serves.
type Options struct {
	// Feeds are spread over Hosts listeners, one loopback address each
	// (127.10.x.y; Linux routes all of 127.0.0.0/8 to loopback): feed i
	// is on host i mod Hosts, so that consecutive feeds are on different
	// hosts, as in a real list.
	Feeds, Hosts int
	// Items is the number of items of each feed.
	Items int
	// Item returns the title and text of the k-th item of the farm (item
	// j of feed i is item i*Items+j).
	Item func(k int) (title, text string)
}

// Farm serves the feeds. Bodies are written on request, so that its
// memory stays small.
type Farm struct {
	// URLs are the feeds' addresses, feed i at URLs[i].
	URLs []string
	// Full and NotModified count the answers of each kind.
	Full, NotModified atomic.Int64

	o   Options
	srv *http.Server
	// published is the items' publication time: recent, so that no
	// max_age leaves them out.
	published string
}

// Start listens on the farm's addresses.
func Start(o Options) (*Farm, error) {
	fm := &Farm{o: o, published: time.Now().Add(-time.Hour).UTC().Format(time.RFC1123Z)}
	fm.srv = &http.Server{Handler: http.HandlerFunc(fm.serve), ReadHeaderTimeout: 10 * time.Second}
	addrs := make([]string, o.Hosts)
	for h := range o.Hosts {
		ip := fmt.Sprintf("127.10.%d.%d", h/250, h%250+1)
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			fm.srv.Close()
			return nil, fmt.Errorf("listen on %s (Linux routes all of 127.0.0.0/8 to loopback): %w", ip, err)
		}
		addrs[h] = l.Addr().String()
		go func() { _ = fm.srv.Serve(l) }()
	}
	for i := range o.Feeds {
		fm.URLs = append(fm.URLs, fmt.Sprintf("http://%s/feeds/%d.xml", addrs[i%o.Hosts], i))
	}
	return fm, nil
}

// Close stops serving.
func (fm *Farm) Close() { fm.srv.Close() }

func (fm *Farm) serve(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feeds/"), ".xml")
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 || n >= len(fm.URLs) {
		http.NotFound(w, r)
		return
	}
	etag := `"farm-` + id + `-v1"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		fm.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var buf bytes.Buffer
	buf.Grow(4096)
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"><channel><title>Feed " + id +
		"</title><link>http://" + r.Host + "/</link>\n")
	for j := range fm.o.Items {
		title, text := fm.o.Item(n*fm.o.Items + j)
		fmt.Fprintf(&buf, "<item><guid isPermaLink=\"false\">farm-%s-%d</guid><title>%s</title>"+
			"<link>http://%s/stories/%s/%d</link><pubDate>%s</pubDate><description>%s</description></item>\n",
			id, j, html.EscapeString(title), r.Host, id, j, fm.published, html.EscapeString(text))
	}
	buf.WriteString("</channel></rss>\n")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fm.Full.Add(1)
	_, _ = w.Write(buf.Bytes())
}

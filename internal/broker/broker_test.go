package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie"
)

func open(t *testing.T, o Options) *Broker {
	t.Helper()
	if o.Listen == "" && o.URL == "" {
		o.Listen = "127.0.0.1:-1"
	}
	b, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func closeBroker(t *testing.T, b *Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func streamMsgs(t *testing.T, b *Broker, name string) uint64 {
	t.Helper()
	s, err := b.JS.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestPublishDedupAndSeenAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := open(t, Options{StoreDir: dir})
	if b.Server == nil {
		t.Fatal("no embedded server started")
	}
	item := vigie.Item{Schema: vigie.ItemSchema, ID: "0123456789abcdef", Feed: vigie.FeedRef{ID: "vna-fr", URL: "http://x/"}, Lang: "fr", Title: "t"}
	alert := vigie.Alert{Item: item, Classifier: "cyber-diplomacy", Score: 5}
	alert.Schema = vigie.AlertSchema
	for range 2 { // the second publish is the one a crash would repeat
		if err := b.PublishItem(ctx, &item); err != nil {
			t.Fatal(err)
		}
		if err := b.PublishAlert(ctx, &alert); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, b, ItemsStream); n != 1 {
		t.Errorf("%s holds %d messages, want 1", ItemsStream, n)
	}
	if n := streamMsgs(t, b, AlertsStream); n != 1 {
		t.Errorf("%s holds %d messages, want 1", AlertsStream, n)
	}
	msg, err := b.JS.Stream(ctx, AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := msg.GetLastMsgForSubject(ctx, "news.alert.cyber-diplomacy.fr.vna-fr")
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get("Nats-Msg-Id") != "0123456789abcdef.cyber-diplomacy" {
		t.Errorf("Nats-Msg-Id = %q", raw.Header.Get("Nats-Msg-Id"))
	}
	var got vigie.Alert
	if err := json.Unmarshal(raw.Data, &got); err != nil || got.Schema != vigie.AlertSchema || got.Classifier != "cyber-diplomacy" {
		t.Errorf("payload = %s (%v)", raw.Data, err)
	}

	if seen, _, err := b.IsSeen(ctx, "vna-fr", item.ID); err != nil || seen {
		t.Fatalf("IsSeen before MarkSeen = %v, %v", seen, err)
	}
	if err := b.MarkSeen(ctx, "vna-fr", item.ID, time.Now(), "fp1", false); err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)

	b = open(t, Options{StoreDir: dir})
	defer closeBroker(t, b)
	if seen, fp, err := b.IsSeen(ctx, "vna-fr", item.ID); err != nil || !seen || fp != "fp1" {
		t.Errorf("IsSeen after restart = %v, %q, %v; want true with fingerprint fp1", seen, fp, err)
	}
	// Marked once: a mark already there stays.
	if err := b.MarkSeen(ctx, "vna-fr", item.ID, time.Now(), "fp2", true); err != nil {
		t.Fatal(err)
	}
	if _, fp, _ := b.IsSeen(ctx, "vna-fr", item.ID); fp != "fp1" {
		t.Errorf("a mark made once replaced the first: fingerprint %q", fp)
	}
	if err := b.MarkSeen(ctx, "vna-fr", "other", time.Now(), "", true); err != nil {
		t.Fatal(err)
	}
	if seen, fp, _ := b.IsSeen(ctx, "vna-fr", "other"); !seen || fp != "" {
		t.Errorf("mark without a fingerprint: seen %v, fingerprint %q", seen, fp)
	}
	if n := streamMsgs(t, b, AlertsStream); n != 1 {
		t.Errorf("after restart %s holds %d messages, want 1", AlertsStream, n)
	}
	// Within the duplicate window a republish after restart is still dropped.
	if err := b.PublishAlert(ctx, &alert); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, b, AlertsStream); n != 1 {
		t.Errorf("republish after restart: %s holds %d messages, want 1", AlertsStream, n)
	}
}

func TestExternalServer(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	defer s.Shutdown()

	b := open(t, Options{URL: s.ClientURL(), Prefix: "custom"})
	if b.Server != nil {
		t.Error("an embedded server was started although a URL was given")
	}
	it := vigie.Item{ID: "abc", Feed: vigie.FeedRef{ID: "f"}, Lang: "en"}
	if err := b.PublishItem(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)
	// The streams live on the external server after Vigie is gone.
	jsz, err := s.Jsz(&server.JSzOptions{Streams: true})
	if err != nil {
		t.Fatal(err)
	}
	if jsz.Streams != 5 || jsz.Messages != 1 { // three streams and two KV buckets
		t.Errorf("external server has %d streams and %d messages, want 5 and 1", jsz.Streams, jsz.Messages)
	}
}

func TestListenInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Open(context.Background(), Options{Listen: l.Addr().String(), StoreDir: t.TempDir()})
	if !errors.Is(err, ErrListen) {
		t.Fatalf("err = %v, want ErrListen", err)
	}
}

func TestStoreLocked(t *testing.T) {
	dir := t.TempDir()
	b := open(t, Options{StoreDir: dir})
	_, err := Open(context.Background(), Options{Listen: "127.0.0.1:-1", StoreDir: dir})
	if !errors.Is(err, ErrStoreLocked) {
		t.Errorf("second server on the same store: err = %v, want ErrStoreLocked", err)
	}
	closeBroker(t, b)
	b = open(t, Options{StoreDir: dir}) // the lock went with the first server
	closeBroker(t, b)
}

func TestSeenRefreshedWhenOld(t *testing.T) {
	ctx := context.Background()
	b := open(t, Options{StoreDir: t.TempDir(), SeenTTL: 2 * time.Second})
	defer closeBroker(t, b)
	if err := b.MarkSeen(ctx, "f", "i", time.Now(), "", false); err != nil {
		t.Fatal(err)
	}
	first, err := b.Seen.Get(ctx, "f.i")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past half of the TTL
	if seen, _, err := b.IsSeen(ctx, "f", "i"); err != nil || !seen {
		t.Fatalf("IsSeen = %v, %v", seen, err)
	}
	e, err := b.Seen.Get(ctx, "f.i")
	if err != nil {
		t.Fatal(err)
	}
	if e.Revision() == first.Revision() {
		t.Error("an old seen key was not written again")
	}
}

// TestPublishBatch checks that every message of a batch larger than a
// window is acked, in order, that a republished id is dropped, and that a
// message no stream takes is reported failed rather than lost.
func TestPublishBatch(t *testing.T) {
	b := open(t, Options{StoreDir: t.TempDir()})
	defer closeBroker(t, b)
	ctx := context.Background()
	var msgs []Message
	for i := range 2*batchWindow + 10 {
		m := nats.NewMsg(JobSubjectPrefix + ".feed-" + strconv.Itoa(i))
		m.Data = []byte(strconv.Itoa(i))
		msgs = append(msgs, Message{Msg: m, ID: "job-" + strconv.Itoa(i)})
	}
	lost := nats.NewMsg("nowhere.at.all")
	msgs = append(msgs, Message{Msg: lost, ID: "lost"}, msgs[0]) // msgs[0] again: a duplicate
	errs := b.PublishBatch(ctx, msgs)
	for i, err := range errs {
		if i == len(msgs)-2 {
			if err == nil {
				t.Errorf("a message no stream takes was reported published")
			}
			continue
		}
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if n := streamMsgs(t, b, JobsStream); n != 2*batchWindow+10 {
		t.Fatalf("%d jobs in the stream, want %d (the duplicate dropped)", n, 2*batchWindow+10)
	}
	s, err := b.JS.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{1, batchWindow + 1, 2*batchWindow + 10} {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(int(seq - 1)); string(m.Data) != want {
			t.Errorf("message %d of the stream is %q, want %q: the batch's order is lost", seq, m.Data, want)
		}
	}
}

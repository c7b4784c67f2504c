package natsstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/story/natsstore"
)

var day = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func openBroker(t *testing.T, dir string) *broker.Broker {
	t.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func closeBroker(t *testing.T, b *broker.Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Error(err)
	}
}

func openStore(t *testing.T, js jetstream.JetStream) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(t.Context(), js, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inst is one Vigie's assigner, with its own connection.
type inst struct {
	*story.Assigner
	// Stop ends the assigner and closes its connection (at the latest
	// when the test ends).
	Stop func()
}

func instance(t *testing.T, url string) inst {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	a := story.NewAssigner(openStore(t, js), story.AssignerOptions{Now: func() time.Time { return day.Add(time.Hour) }})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	stop := sync.OnceFunc(func() { cancel(); wg.Wait(); nc.Close() })
	t.Cleanup(stop)
	if err := a.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	return inst{a, stop}
}

// reports are two reports, in English and French, of event r: its
// states, name and number are its own.
func reports(r int) (story.Input, story.Input) {
	states := []string{"FR", "DE", "JP", "VN", "BR", "NG", "IN", "MX", "KE", "AR"}
	ents := vigie.Entities{States: []string{states[r%10], states[(r/10+r+1)%10]}, Orgs: []string{}}
	cons := "bktmr"
	name := fmt.Sprintf("Ba%co%cu%cin", cons[r%5], cons[r/5%5], cons[r/25%5])
	a := story.Input{ID: fmt.Sprintf("en-%d", r), Feed: "en-feed", Lang: "en", Time: day, Entities: ents, Text: fmt.Sprintf("%s: %d.", name, 1000+r)}
	b := story.Input{ID: fmt.Sprintf("fr-%d", r), Feed: "fr-feed", Lang: "fr", Time: day, Entities: ents, Text: fmt.Sprintf("%s : %d.", name, 1000+r)}
	return a, b
}

func assign(t *testing.T, a inst, in story.Input) *story.Story {
	t.Helper()
	s, err := a.Assign(t.Context(), in, story.Features(in))
	if err != nil {
		t.Error(err)
		return &story.Story{}
	}
	return s
}

// record is the first report of a story.
func record(storyID, itemID string) story.Record {
	return story.Record{Story: storyID, First: day, Member: story.Member{ID: itemID, Feed: "f", Lang: "en", Title: itemID, Time: day}}
}

func TestPutComparesTheWholeBucket(t *testing.T) {
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	s := openStore(t, b.JS)
	if last, err := s.Last(t.Context()); err != nil || last != 0 {
		t.Fatalf("Last of an empty bucket = %d, %v", last, err)
	}
	p1, err := s.Put(t.Context(), record("one", "a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Another key, at the position before the first write: refused.
	if _, err := s.Put(t.Context(), record("two", "b"), 0); !errors.Is(err, story.ErrConflict) {
		t.Fatalf("Put at a stale position: %v, want ErrConflict", err)
	}
	p2, err := s.Put(t.Context(), record("two", "b"), p1)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := s.Last(t.Context()); err != nil || last != p2 {
		t.Fatalf("Last = %d, %v; want %d", last, err, p2)
	}
	list, err := natsstore.List(t.Context(), b.JS)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d stories, %v", len(list), err)
	}
}

// Two instances on one NATS server see two reports of one event at the
// same moment: one story, every time.
func TestTwoInstancesOneStory(t *testing.T) {
	b := openBroker(t, t.TempDir())
	t.Cleanup(func() { closeBroker(t, b) }) // after the instances
	one, two := instance(t, b.Server.ClientURL()), instance(t, b.Server.ClientURL())
	for r := range 25 {
		x, y := reports(r)
		var sx, sy *story.Story
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; sx = assign(t, one, x) })
		wg.Go(func() { <-start; sy = assign(t, two, y) })
		close(start)
		wg.Wait()
		if sx.ID != sy.ID || sx.ID == "" {
			t.Fatalf("event %d: stories %q and %q", r, sx.ID, sy.ID)
		}
		if max(sx.Len(), sy.Len()) != 2 {
			t.Fatalf("event %d: a story of %d items: the events are not apart", r, max(sx.Len(), sy.Len()))
		}
	}
	list, err := natsstore.List(t.Context(), b.JS)
	if err != nil || len(list) != 25 {
		t.Errorf("%d stories stored (%v), want 25", len(list), err)
	}
}

// A restart in the middle of a story keeps it: the same item keeps its
// story, and the next report joins it.
func TestRestartKeepsStories(t *testing.T) {
	dir := t.TempDir()
	x, y := reports(3)
	b := openBroker(t, dir)
	a := instance(t, b.Server.ClientURL())
	first := assign(t, a, x)
	a.Stop()
	closeBroker(t, b)

	b = openBroker(t, dir)
	t.Cleanup(func() { closeBroker(t, b) })
	a = instance(t, b.Server.ClientURL())
	if s := assign(t, a, x); s.ID != first.ID || s.Len() != 1 {
		t.Errorf("after the restart the same item is in %s (%d items), want %s (1)", s.ID, s.Len(), first.ID)
	}
	if s := assign(t, a, y); s.ID != first.ID || s.Len() != 2 {
		t.Errorf("after the restart the next report is in %s (%d items), want %s (2)", s.ID, s.Len(), first.ID)
	}
}

// Stories expire a window after their last change; the bucket's last
// position stays where it was, and the next write is made there. An
// instance that starts after every story expired assigns at once.
func TestStoriesExpire(t *testing.T) {
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	s, err := natsstore.Open(t.Context(), b.JS, natsstore.Options{Window: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pos, err := s.Put(t.Context(), record("short-lived", "a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := natsstore.List(t.Context(), b.JS)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the story is still there 30 s after a window of 1 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last, err := s.Last(t.Context()); err != nil || last != pos {
		t.Errorf("Last after expiry = %d, %v; want %d", last, err, pos)
	}
	// A new instance reads no story, and writes at the last position.
	a := instance(t, b.Server.ClientURL())
	x, _ := reports(5)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := a.Assign(ctx, x, story.Features(x)); err != nil {
		t.Fatalf("assign after every story expired: %v", err)
	}
	a.Stop()
	if _, err := s.Put(t.Context(), record("next", "b"), pos); !errors.Is(err, story.ErrConflict) {
		t.Errorf("Put at the position before the instance's write: %v, want ErrConflict", err)
	}
	// Opened again with another window, the bucket keeps stories that long.
	if _, err := natsstore.Open(t.Context(), b.JS, natsstore.Options{Window: 72 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	kv, err := b.JS.KeyValue(t.Context(), natsstore.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := kv.Status(t.Context()); err != nil || st.TTL() != 72*time.Hour {
		t.Errorf("bucket TTL %v, %v; want 72h", st.TTL(), err)
	}
}

// A story that grows is written one report at a time: each write is as
// large as its report, whatever the story's size, and the stories read
// back are whole.
func TestReportsWrittenOnce(t *testing.T) {
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	s := openStore(t, b.JS)
	const reports = 60
	at := uint64(0)
	var sizes []uint64
	for i := range reports {
		r := record("big", fmt.Sprintf("item-%02d", i))
		r.Time = day.Add(time.Duration(i) * time.Minute)
		r.Features = []string{"S:FR", "N:12"}
		var err error
		if at, err = s.Put(t.Context(), r, at); err != nil {
			t.Fatal(err)
		}
		str, err := b.JS.Stream(t.Context(), "KV_"+natsstore.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		info, err := str.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != uint64(i+1) {
			t.Fatalf("after %d reports the bucket holds %d messages", i+1, info.State.Msgs)
		}
		sizes = append(sizes, info.State.Bytes)
	}
	first, last := sizes[1]-sizes[0], sizes[reports-1]-sizes[reports-2]
	if last > first+8 {
		t.Errorf("the 60th report took %d bytes, the 2nd %d: the story is written whole", last, first)
	}
	list, err := natsstore.List(t.Context(), b.JS)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %d stories, %v", len(list), err)
	}
	got := list[0]
	if got.ID != "big" || got.Len() != reports || got.Items[0].ID != "item-00" || got.Items[reports-1].ID != "item-59" ||
		!got.First.Equal(day) || !got.Last.Equal(day.Add(59*time.Minute)) {
		t.Errorf("story %s of %d reports, %s to %s", got.ID, got.Len(), got.First, got.Last)
	}
}

// A bucket written by an earlier Vigie, one key per story kept whole, is
// read as it is: its stories are open, and a new report joins them as a
// record.
func TestStoriesStoredWholeStillRead(t *testing.T) {
	b := openBroker(t, t.TempDir())
	t.Cleanup(func() { closeBroker(t, b) })
	openStore(t, b.JS)
	x, y := reports(7)
	// The story as an earlier version wrote it: its reports' features
	// and the story's span, under the story's id alone.
	old := *story.NewGrouper(story.Options{}).Assign(x, story.Features(x), day)
	old.Items = slices.Clone(old.Items)
	old.Items[0].Features = story.Features(x)
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := b.JS.KeyValue(t.Context(), natsstore.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), old.ID, data); err != nil {
		t.Fatal(err)
	}
	a := instance(t, b.Server.ClientURL())
	if s := assign(t, a, y); s.ID != old.ID || s.Len() != 2 {
		t.Errorf("the next report is in %s (%d items), want %s (2)", s.ID, s.Len(), old.ID)
	}
	list, err := natsstore.List(t.Context(), b.JS)
	if err != nil || len(list) != 1 || list[0].Len() != 2 {
		t.Fatalf("List = %v, %v; want one story of 2", list, err)
	}
	// Deleting a report's key takes the report out of the instance's
	// story; deleting the old key, the story.
	if err := kv.Delete(t.Context(), natsstore.Key(old.ID, y.ID)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { open := a.Open(); return len(open) == 1 && open[0].Len() == 1 })
	if err := kv.Delete(t.Context(), old.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(a.Open()) == 0 })
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct{ story, item, want string }{
		{"5f1c", "9a0b7c3d2e1f4a5b", "5f1c.9a0b7c3d2e1f4a5b"},
		{"5f1c", "en-12", "5f1c.en-12"},
		{"5f1c", "a.b", "5f1c.2e7336dc8eba87ef"},
		{"5f1c", "x y", ""},
	} {
		got := natsstore.Key(c.story, c.item)
		if c.want != "" && got != c.want {
			t.Errorf("Key(%q, %q) = %q, want %q", c.story, c.item, got, c.want)
		}
		if strings.Count(got, ".") != 1 || strings.ContainsAny(got, " *>") {
			t.Errorf("Key(%q, %q) = %q: not two tokens", c.story, c.item, got)
		}
	}
}

package broker

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ReadCurrent calls fn with the current entry of every key of kv that
// matches one of keys (every key when keys is empty), deletes left out,
// and returns once the last one was given: one watch of the bucket, whose
// initial values end with a nil entry.
func ReadCurrent(ctx context.Context, kv jetstream.KeyValue, keys []string, fn func(jetstream.KeyValueEntry)) error {
	if len(keys) == 0 {
		keys = []string{">"}
	}
	w, err := kv.WatchFiltered(ctx, keys, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("read %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("read %s: watch ended", kv.Bucket())
			}
			if e == nil {
				return nil
			}
			fn(e)
		}
	}
}

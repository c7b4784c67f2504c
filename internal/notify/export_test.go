package notify

import "time"

// WithDigestAckWait returns o with the ack wait of digest routes set to d,
// whatever their timeout, for a test that must outlast it.
func WithDigestAckWait(o Options, d time.Duration) Options {
	o.digestAckWait = d
	return o
}

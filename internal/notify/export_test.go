package notify

import "time"

// SetDigestAckWait makes the ack wait of digest routes d, whatever their
// timeout, for a test that must outlast it.
func SetDigestAckWait(d time.Duration) (restore func()) {
	old := testDigestAckWait
	testDigestAckWait = d
	return func() { testDigestAckWait = old }
}

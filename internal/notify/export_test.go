package notify

import "time"

// SetDigestAckWait makes the ack wait of digest routes d, whatever their
// timeout, for a test that must outlast it.
func SetDigestAckWait(d time.Duration) (restore func()) {
	margin, least := ackWaitMargin, minDigestAckWait
	ackWaitMargin, minDigestAckWait = 0, d
	return func() { ackWaitMargin, minDigestAckWait = margin, least }
}

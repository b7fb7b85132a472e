package baton

import (
	"math/rand"
	"time"
)

// backoff is the wait before retry number attempt (from 0): doubling from first up to max, then spread by jitter
// to between half and all of it, so a crowd of clients does not come back in step after an outage.
func backoff(attempt int, first, max time.Duration) time.Duration {
	d := first
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()/2))
}

// Outcome retries and reconnects: from 100 ms up to 5 s, as the TypeScript SDK.
func retryBackoff(attempt int) time.Duration {
	return backoff(attempt, 100*time.Millisecond, 5*time.Second)
}

// Unary call retries on UNAVAILABLE: from 50 ms up to 2 s.
func callBackoff(attempt int) time.Duration {
	return backoff(attempt, 50*time.Millisecond, 2*time.Second)
}

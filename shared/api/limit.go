package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Limiter is an http.Handler that lets at most InFlight requests run at once and at most
// Queued more wait for a slot. A request beyond both, or one that waited MaxWait without
// a slot, is answered 429 "too_many_requests" with Retry-After, before its body is read:
// the memory of the requests served at once is bounded by InFlight times the largest
// request a route accepts, and a burst costs waiting connections, not bodies.
type Limiter struct {
	next    http.Handler
	slots   chan struct{} // one per running request
	tickets chan struct{} // one per running or waiting request
	maxWait time.Duration
}

// LimiterRetryAfter is the Retry-After, in seconds, of a 429 from the Limiter.
const LimiterRetryAfter = 1

// NewLimiter wraps next; inFlight and queued are at least 1 and 0.
func NewLimiter(next http.Handler, inFlight, queued int, maxWait time.Duration) *Limiter {
	inFlight, queued = max(inFlight, 1), max(queued, 0)
	return &Limiter{next: next, slots: make(chan struct{}, inFlight),
		tickets: make(chan struct{}, inFlight+queued), maxWait: maxWait}
}

// ServeHTTP implements http.Handler.
func (l *Limiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case l.tickets <- struct{}{}:
	default:
		tooMany(w, fmt.Sprintf("the server is serving %d requests and has %d waiting; retry later",
			cap(l.slots), cap(l.tickets)-cap(l.slots)))
		return
	}
	defer func() { <-l.tickets }()
	wait := time.NewTimer(l.maxWait)
	defer wait.Stop()
	select {
	case l.slots <- struct{}{}:
	case <-wait.C:
		tooMany(w, fmt.Sprintf("no free slot within %v; retry later", l.maxWait))
		return
	case <-r.Context().Done():
		return // the caller left
	}
	defer func() { <-l.slots }()
	l.next.ServeHTTP(w, r)
}

// tooMany writes the 429 answer in the one error shape.
func tooMany(w http.ResponseWriter, msg string) {
	resp := errorResponse(&Error{Status: http.StatusTooManyRequests, Code: "too_many_requests",
		Message: msg, RetryAfter: LimiterRetryAfter})
	body, _ := json.Marshal(resp.Body)
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", newRequestID())
	w.Header().Set("Connection", "close")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(body)
}

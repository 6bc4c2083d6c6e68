package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestLimiterBoundsConcurrency(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	running, peak := 0, 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	l := NewLimiter(next, 2, 1, 5*time.Second)
	codes := make(chan int, 3)
	for range 3 { // two run, one waits
		go func() {
			w := httptest.NewRecorder()
			l.ServeHTTP(w, httptest.NewRequest("POST", "/v1/classify", nil))
			codes <- w.Code
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(l.tickets) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	w := httptest.NewRecorder() // the fourth finds no room
	l.ServeHTTP(w, httptest.NewRequest("POST", "/v1/classify", nil))
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusTooManyRequests ||
		w.Header().Get("Retry-After") != "1" || body.Error.Code != "too_many_requests" {
		t.Fatalf("beyond the limit: %d %q %q, want 429 too_many_requests with Retry-After 1", w.Code, w.Body, w.Header())
	}
	close(release)
	for range 3 {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a request within the limit answered %d", c)
		}
	}
	if peak != 2 {
		t.Errorf("%d requests ran at once, want 2", peak)
	}
}

func TestLimiterWaitsAtMostMaxWait(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	l := NewLimiter(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }), 1, 5, 100*time.Millisecond)
	go l.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for len(l.slots) == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	w := httptest.NewRecorder()
	l.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusTooManyRequests || time.Since(start) > 2*time.Second {
		t.Errorf("waited %v and answered %d, want 429 after 100 ms", time.Since(start), w.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a caller that left while waiting is not served
	w = httptest.NewRecorder()
	l.ServeHTTP(w, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	if len(l.tickets) != 1 {
		t.Errorf("tickets held after the callers left: %d, want 1 (the running request)", len(l.tickets))
	}
}

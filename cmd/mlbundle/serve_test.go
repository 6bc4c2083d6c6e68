package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunServerServesAllRoutesAndStops(t *testing.T) {
	b := openBundle(t, t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, b, ln, defaultLimits) }()
	base := "http://" + ln.Addr().String()
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/v1/models", "", 200},
		{"GET", "/v1/users/u1/recommendations", "", 503}, // empty store: no model yet
		{"POST", "/v1/classify", `{"text":"oil"}`, 503},
		{"POST", "/v1/interactions", `{"interactions":[{"user_id":"u1","item_id":"i1"}]}`, 200},
		{"GET", "/nope", "", 404},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runServer returned %v after cancel, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
}

// startServer runs the local server on 127.0.0.1 with lim and returns its address.
func startServer(t *testing.T, lim serverLimits) string {
	t.Helper()
	b := openBundle(t, t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, b, ln, lim) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// TestServerCutsSlowAndIdleConnections sends a body at one byte every 200 ms and keeps
// a connection idle: both end within their timeouts.
func TestServerCutsSlowAndIdleConnections(t *testing.T) {
	lim := defaultLimits
	lim.read, lim.idle = time.Second, 500*time.Millisecond
	addr := startServer(t, lim)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /v1/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the slow body: 1 byte per 200 ms, for at most 20 s
		for range 100 {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				if _, err := conn.Write([]byte("{")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _ = io.ReadAll(conn) // an answer or nothing, then the server closes
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a slow body held the connection %v; want it cut after the 1 s read timeout", d)
	}

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.ReadAll(idle) // the answer, then EOF once the idle timeout closes it
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("an idle keep-alive connection stayed open %v; want it closed after 500 ms", d)
	}
}

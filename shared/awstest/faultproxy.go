package awstest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what a FaultProxy does with one request.
type Fault int

// Faults a FaultProxy can inject.
const (
	Pass        Fault = iota // forward to the endpoint
	Drop                     // close the connection without an answer, as an unreachable service
	Throttle                 // 400 ProvisionedThroughputExceededException (DynamoDB) / 503 SlowDown (S3)
	ServerError              // 500 InternalServerError / InternalError
)

// Rule decides the fault for one request: op names it ("DynamoDB.BatchWriteItem",
// "S3.GET", "S3.PUT", ...) and n counts the requests of that op since the rule was set,
// from 1.
type Rule func(op string, n int) Fault

// FaultProxy is an HTTP proxy on 127.0.0.1 in front of AWS_ENDPOINT_URL (moto_server)
// that drops, delays, throttles or fails the requests its rule picks. Point a client at
// URL to put the real service, with faults, behind the code under test: no mocks.
type FaultProxy struct {
	URL string

	mu     sync.Mutex
	rule   Rule
	delay  func(op string) time.Duration
	counts map[string]int
	seen   map[string]int // every request, by op and fault: "DynamoDB.Query drop"
}

// NewFaultProxy starts a proxy in front of AWS_ENDPOINT_URL (skipping t when unset); it
// passes everything until SetRule, and stops at the end of the test.
func NewFaultProxy(t testing.TB) *FaultProxy {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("AWS_ENDPOINT_URL unset: start moto_server (scripts/test.sh does) to run the fault tests")
	}
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("AWS_ENDPOINT_URL: %v", err)
	}
	p := &FaultProxy{counts: map[string]int{}, seen: map[string]int{}}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, forward)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetRule replaces the rule (nil: pass everything) and restarts the counts.
func (p *FaultProxy) SetRule(rule Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule, p.counts = rule, map[string]int{}
}

// SetDelay makes the proxy wait delay(op) before handling each request (nil: no wait).
func (p *FaultProxy) SetDelay(delay func(op string) time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = delay
}

// Seen returns how many requests were handled with each "op fault" pair so far.
func (p *FaultProxy) Seen() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.seen))
	for k, v := range p.seen {
		out[k] = v
	}
	return out
}

// Only returns a rule that gives f to the ops with one of the prefixes and passes others.
func Only(f Fault, prefixes ...string) Rule {
	return func(op string, _ int) Fault {
		for _, pre := range prefixes {
			if strings.HasPrefix(op, pre) {
				return f
			}
		}
		return Pass
	}
}

var faultNames = map[Fault]string{Pass: "pass", Drop: "drop", Throttle: "throttle", ServerError: "error"}

// String names the fault.
func (f Fault) String() string { return faultNames[f] }

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request, forward http.Handler) {
	op := opOf(r)
	p.mu.Lock()
	p.counts[op]++
	fault := Pass
	if p.rule != nil {
		fault = p.rule(op, p.counts[op])
	}
	p.seen[op+" "+faultNames[fault]]++
	delay := p.delay
	p.mu.Unlock()
	if delay != nil {
		if d := delay(op); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	}
	dynamo := strings.HasPrefix(op, "DynamoDB.")
	switch fault {
	case Pass:
		forward.ServeHTTP(w, r)
	case Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Throttle:
		if dynamo {
			dynamoError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
				"The level of configured provisioned throughput for the table was exceeded.")
		} else {
			s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		}
	case ServerError:
		if dynamo {
			dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error")
		} else {
			s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error.")
		}
	}
}

// opOf names a request: the DynamoDB operation from X-Amz-Target, else "S3.<method>"
// (or "SQS.<action>").
func opOf(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, action, _ := strings.Cut(target, ".")
		if strings.HasPrefix(svc, "DynamoDB") {
			return "DynamoDB." + action
		}
		return svc + "." + action
	}
	return "S3." + r.Method
}

func dynamoError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#` + code + `","message":"` + msg + `"}`))
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`))
}

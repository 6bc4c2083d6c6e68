package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// DefaultMaxBody is the largest request body the adapters accept (the Lambda
// payload limit); handlers apply their own, smaller limits through DecodeJSON.
const DefaultMaxBody = 6 << 20

// Router dispatches requests to handlers by method and path pattern.
type Router struct {
	routes  []route
	auth    Auth
	logger  *slog.Logger
	maxBody int64
}

type route struct {
	method   string
	pattern  string
	segments []string
	handler  HandlerFunc
}

// Option configures a Router.
type Option func(*Router)

// WithAuth sets the authorisation mode that AuthorizeUser applies.
func WithAuth(a Auth) Option { return func(rt *Router) { rt.auth = a } }

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(rt *Router) { rt.logger = l } }

// WithMaxBody sets the largest body the net/http adapter reads (default DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(rt *Router) { rt.maxBody = n } }

// NewRouter returns an empty router.
func NewRouter(opts ...Option) *Router {
	rt := &Router{logger: slog.Default(), maxBody: DefaultMaxBody, auth: Auth{Mode: AuthNone}}
	for _, o := range opts {
		o(rt)
	}
	return rt
}

// Handle registers h for method and pattern. A pattern is an absolute path whose
// segments are literals or {name} parameters, e.g. "/v1/users/{user_id}/recommendations".
// Registering the same method and pattern twice replaces the first handler.
func (rt *Router) Handle(method, pattern string, h HandlerFunc) {
	segs := splitPath(pattern)
	for i, r := range rt.routes {
		if r.method == method && r.pattern == pattern {
			rt.routes[i].handler = h
			return
		}
	}
	rt.routes = append(rt.routes, route{method: method, pattern: pattern, segments: segs, handler: h})
}

// Routes lists the registered routes as "METHOD pattern", sorted.
func (rt *Router) Routes() []string {
	out := make([]string, 0, len(rt.routes))
	for _, r := range rt.routes {
		out = append(out, r.method+" "+r.pattern)
	}
	sort.Strings(out)
	return out
}

// match finds the handler for r, filling r.PathParams, or returns a 404/405 *Error.
func (rt *Router) match(r *Request) (HandlerFunc, string, *Error) {
	segs := splitPath(r.Path)
	var allowed []string
	for _, rte := range rt.routes {
		params, ok := matchSegments(rte.segments, segs)
		if !ok {
			continue
		}
		if rte.method != r.Method {
			allowed = append(allowed, rte.method)
			continue
		}
		r.PathParams = params
		return rte.handler, rte.pattern, nil
	}
	if len(allowed) > 0 {
		sort.Strings(allowed)
		return nil, "", MethodNotAllowed(r.Method, allowed)
	}
	return nil, "", NotFound(fmt.Sprintf("no route for %s %s", r.Method, r.Path))
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchSegments(pattern, path []string) (map[string]string, bool) {
	if len(pattern) != len(path) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if path[i] == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = path[i]
		} else if p != path[i] {
			return nil, false
		}
	}
	return params, true
}

// encoded is a response ready for a transport.
type encoded struct {
	status  int
	headers map[string]string
	body    []byte
}

// serve runs the matching handler on r and encodes its answer. It never panics: a
// panic in a handler is logged and answered with 500.
func (rt *Router) serve(ctx context.Context, r *Request) (out encoded) {
	start := time.Now()
	if r.RequestID == "" {
		r.RequestID = newRequestID()
	}
	r.Auth = rt.auth
	log := rt.logger.With("request_id", r.RequestID)
	ctx = withLogger(ctx, log)
	pattern := ""
	defer func() {
		if v := recover(); v != nil {
			log.Error("handler panic", "method", r.Method, "path", r.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			out = rt.encode(log, r.RequestID, errorResponse(errInternal))
		}
		log.Info("request", "method", r.Method, "route", pattern, "path", r.Path,
			"status", out.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	}()
	h, pat, e := rt.match(r)
	if e != nil {
		return rt.encode(log, r.RequestID, errorResponse(e))
	}
	pattern = pat
	resp, err := h(ctx, r)
	if err == nil && resp == nil {
		err = fmt.Errorf("handler for %s %s returned no response", r.Method, pat)
	}
	if err != nil {
		apiErr, ours := toError(err)
		if ours {
			log.Error("request failed", "method", r.Method, "route", pat, "error", err.Error())
		}
		resp = errorResponse(apiErr)
	}
	return rt.encode(log, r.RequestID, resp)
}

// encode turns resp into bytes; a body that cannot be encoded becomes a 500.
func (rt *Router) encode(log *slog.Logger, requestID string, resp *Response) encoded {
	headers := map[string]string{}
	for k, v := range resp.Headers {
		headers[k] = v
	}
	headers["X-Request-Id"] = requestID
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	if resp.Body == nil {
		return encoded{status: status, headers: headers}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp.Body); err != nil {
		log.Error("encode response", "error", err.Error())
		return rt.encode(log, requestID, errorResponse(errInternal))
	}
	headers["Content-Type"] = "application/json"
	return encoded{status: status, headers: headers, body: bytes.TrimRight(buf.Bytes(), "\n")}
}

func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

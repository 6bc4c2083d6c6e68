package api

import (
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ServeHTTP adapts the router to net/http (the local server). A caller's X-Request-Id
// header is reused when it is well formed. Requests carry no JWT claims, so the local
// server runs with Auth mode "none".
func (rt *Router) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	r, bad := rt.requestFromHTTP(w, hr)
	var out encoded
	if bad != nil {
		r.RequestID = nonEmpty(r.RequestID, newRequestID())
		out = rt.encode(rt.logger.With("request_id", r.RequestID), r.RequestID, errorResponse(bad))
	} else {
		out = rt.serve(hr.Context(), r)
	}
	for k, v := range out.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body)
}

// requestFromHTTP reads hr (its body up to the router's limit) into a Request.
func (rt *Router) requestFromHTTP(w http.ResponseWriter, hr *http.Request) (*Request, *Error) {
	r := &Request{
		Method:  hr.Method,
		Headers: map[string]string{},
		Query:   map[string]string{},
		Claims:  map[string]string{},
	}
	if id := hr.Header.Get("X-Request-Id"); validRequestID.MatchString(id) {
		r.RequestID = id
	}
	for k, v := range hr.Header {
		r.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	for k, v := range hr.URL.Query() {
		r.Query[k] = v[0]
	}
	p, err := unescapePath(hr.URL.EscapedPath())
	if err != nil {
		return r, Invalid("malformed path")
	}
	r.Path = p
	body, err := io.ReadAll(http.MaxBytesReader(w, hr.Body, rt.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return r, TooLarge("request body is too large")
	case err != nil:
		return r, Invalid("could not read the request body")
	}
	r.Body = body
	return r, nil
}

package api

import "context"

// Request is the transport-neutral view of one HTTP call that handlers receive.
// Header names are lower case. Query holds the first value of each parameter.
type Request struct {
	Method     string
	Path       string
	RequestID  string
	PathParams map[string]string
	Query      map[string]string
	Headers    map[string]string
	Body       []byte
	// Claims are the verified JWT claims that API Gateway passed on (empty locally).
	// The token's scopes are folded into Claims["scope"], space separated.
	Claims map[string]string
	// Auth is the authorisation setting of the router that dispatched the request.
	Auth Auth
}

// Response is what a handler answers; Body is encoded as JSON (nil: no body).
type Response struct {
	Status  int
	Headers map[string]string
	Body    any
}

// HandlerFunc handles one request.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// JSON returns a response with the given status whose body is v encoded as JSON.
func JSON(status int, v any) *Response {
	return &Response{Status: status, Body: v}
}

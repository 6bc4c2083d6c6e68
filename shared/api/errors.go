package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an error meant for the caller: its Code and Message are sent as
// {"error":{"code":...,"message":...}} with status Status. RetryAfter (seconds), when
// positive, becomes a Retry-After header.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int
	// Allow, when set, lists the methods of the path for a 405 (the Allow header).
	Allow []string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Invalid is a 400 "invalid_request" error.
func Invalid(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: msg}
}

// Invalidf is Invalid with a format string.
func Invalidf(format string, args ...any) *Error { return Invalid(fmt.Sprintf(format, args...)) }

// NotFound is a 404 "not_found" error.
func NotFound(msg string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: msg}
}

// TooLarge is a 413 "payload_too_large" error.
func TooLarge(msg string) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: msg}
}

// Conflict is a 409 error with the given code: the request is well formed but the
// current state (for example the serving model) cannot take it.
func Conflict(code, msg string) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Message: msg}
}

// Forbidden is a 403 "forbidden" error.
func Forbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

// Unavailable is a 503 "model_unavailable" error with a Retry-After of
// retryAfterSeconds (at least 1).
func Unavailable(msg string, retryAfterSeconds int) *Error {
	if retryAfterSeconds < 1 {
		retryAfterSeconds = 1
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: "model_unavailable", Message: msg,
		RetryAfter: retryAfterSeconds}
}

// StoreUnavailable is a 503 "store_unavailable" error with Retry-After: 1, for a
// dependency (the interactions store) that failed or throttled the call. Nothing was
// answered from partial data; the caller may retry.
func StoreUnavailable(msg string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: codeStoreUnavailable, Message: msg, RetryAfter: 1}
}

// StoreFailed is StoreUnavailable(msg) wrapping cause: the caller sees msg, the router
// logs the cause with the request id.
func StoreFailed(msg string, cause error) error {
	return fmt.Errorf("%w: %w", StoreUnavailable(msg), cause)
}

const codeStoreUnavailable = "store_unavailable"

// MethodNotAllowed is a 405 "method_not_allowed" error listing the allowed methods.
func MethodNotAllowed(method string, allowed []string) *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: fmt.Sprintf("method %s not allowed; allowed: %s", method, strings.Join(allowed, ", ")),
		Allow:   allowed}
}

var errInternal = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}

var errTimeout = &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "request timed out"}

// toError is the one place where an error becomes what the caller sees. The second
// result reports whether the error is ours (to be logged) rather than the caller's.
func toError(err error) (*Error, bool) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e, e.Status >= 500 && (e.Code == errInternal.Code || e.Code == codeStoreUnavailable)
	case errors.Is(err, context.DeadlineExceeded):
		return errTimeout, true
	default:
		return errInternal, true
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorResponse renders e as the one JSON error shape.
func errorResponse(e *Error) *Response {
	resp := &Response{Status: e.Status, Body: errorBody{Error: errorDetail{Code: e.Code, Message: e.Message}}}
	if e.RetryAfter > 0 || len(e.Allow) > 0 {
		resp.Headers = map[string]string{}
	}
	if e.RetryAfter > 0 {
		resp.Headers["Retry-After"] = fmt.Sprint(e.RetryAfter)
	}
	if len(e.Allow) > 0 {
		resp.Headers["Allow"] = strings.Join(e.Allow, ", ")
	}
	return resp
}

// Package api is the HTTP plumbing shared by every function: a small router with
// {param} path patterns, adapters for API Gateway HTTP API v2 (Lambda) and net/http,
// strict JSON decoding, one JSON error shape and one place where errors become status
// codes.
//
// Handlers are plain functions of a *Request that return a *Response or an error. An
// error that is an *Error is sent as is; any other error is logged once (with the
// request id) and answered with 500 {"error":{"code":"internal","message":"internal
// error"}}, so internal error text never reaches a caller. Domain packages translate
// their own sentinel errors (for example "no model loaded") into an *Error in the
// handler that knows them.
//
// Authorisation: the router carries an Auth value (mode and service scope, from
// config) and stamps it on every Request, so AuthorizeUser needs no global state.
// Under Mode "jwt" a caller may only act on its own user id (the JWT "sub" claim)
// unless its token holds the service scope.
package api

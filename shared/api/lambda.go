package api

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Lambda adapts the router to API Gateway HTTP API v2 proxy events. It never returns
// an error: every failure, including a handler panic, is an HTTP answer.
func (rt *Router) Lambda(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r, bad := requestFromEvent(e)
	var out encoded
	if bad != nil {
		r.RequestID = nonEmpty(r.RequestID, newRequestID())
		out = rt.encode(rt.logger.With("request_id", r.RequestID), r.RequestID, errorResponse(bad))
	} else {
		out = rt.serve(ctx, r)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: out.status, Headers: out.headers, Body: string(out.body)}, nil
}

func requestFromEvent(e events.APIGatewayV2HTTPRequest) (*Request, *Error) {
	r := &Request{
		Method:    strings.ToUpper(e.RequestContext.HTTP.Method),
		Path:      nonEmpty(e.RawPath, e.RequestContext.HTTP.Path),
		RequestID: e.RequestContext.RequestID,
		Headers:   map[string]string{},
		Query:     map[string]string{},
		Claims:    map[string]string{},
	}
	for k, v := range e.Headers {
		r.Headers[strings.ToLower(k)] = v
	}
	if e.RawQueryString != "" {
		q, err := url.ParseQuery(e.RawQueryString)
		if err != nil {
			return r, Invalid("malformed query string")
		}
		for k, v := range q {
			r.Query[k] = v[0]
		}
	} else {
		for k, v := range e.QueryStringParameters {
			r.Query[k] = v
		}
	}
	copyClaims(r.Claims, e.RequestContext.Authorizer)
	if st := e.RequestContext.Stage; st != "" && st != "$default" {
		r.Path = strings.TrimPrefix(r.Path, "/"+st) // a named stage prefixes rawPath
	}
	p, err := unescapePath(r.Path)
	if err != nil {
		return r, Invalid("malformed path")
	}
	r.Path = p
	if e.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return r, Invalid("body is not valid base64")
		}
		r.Body = b
	} else {
		r.Body = []byte(e.Body)
	}
	if len(r.Body) > DefaultMaxBody {
		return r, TooLarge("request body is too large")
	}
	return r, nil
}

// copyClaims copies the JWT claims API Gateway verified into dst and folds the
// token's scopes into dst["scope"], space separated.
func copyClaims(dst map[string]string, a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) {
	if a == nil || a.JWT == nil {
		return
	}
	for k, v := range a.JWT.Claims {
		dst[k] = v
	}
	if len(a.JWT.Scopes) > 0 {
		dst["scope"] = strings.TrimSpace(dst["scope"] + " " + strings.Join(a.JWT.Scopes, " "))
	}
}

// unescapePath decodes each segment of an escaped path; an escaped "/" inside a
// segment is rejected, so that it cannot change which route matches.
func unescapePath(p string) (string, error) {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || strings.Contains(u, "/") {
			return "", url.EscapeError(s)
		}
		segs[i] = u
	}
	return strings.Join(segs, "/"), nil
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

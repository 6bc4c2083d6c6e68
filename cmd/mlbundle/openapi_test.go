package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	evfiles "github.com/contentml/mlbundle/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

const openAPIFile = "../../docs/openapi.yaml"

// openAPI is the API's OpenAPI 3.1 document, loaded, validated and routed.
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(openAPIFile)
	if err != nil {
		t.Fatalf("load %s: %v", openAPIFile, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s is OpenAPI %s, want 3.1", openAPIFile, doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", openAPIFile, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: doc, router: router}
}

// eventBody is the body an API Gateway v2 event carries.
func eventBody(t *testing.T, raw []byte) []byte {
	t.Helper()
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if !e.IsBase64Encoded {
		return []byte(e.Body)
	}
	body, err := base64.StdEncoding.DecodeString(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// httpRequest rebuilds the HTTP request an API Gateway v2 event describes.
func httpRequest(t *testing.T, raw []byte) *http.Request {
	t.Helper()
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	body := eventBody(t, raw)
	target := e.RawPath
	if e.RawQueryString != "" {
		target += "?" + e.RawQueryString
	}
	r := httptest.NewRequest(e.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	for k, v := range e.Headers {
		r.Header.Set(k, v)
	}
	return r
}

// check validates one event's request and the answer it got against the document:
// a request the function accepts (2xx, 403, 503) must be valid there, one it refuses as
// malformed (400, 413, unless marked well_formed: refused for the model's sake) must be
// invalid there too, and every answer must be one the
// document describes, status, headers and body. Events for a route the document does
// not have must be answered 404, or 405 with Allow, in the Error shape.
func (o *openAPI) check(t *testing.T, raw []byte, exp evfiles.Expected, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	ctx := context.Background()
	req := httpRequest(t, raw)
	route, params, err := o.router.FindRoute(req)
	if err != nil {
		if exp.Status != http.StatusNotFound && exp.Status != http.StatusMethodNotAllowed {
			t.Fatalf("openapi: no route for %s %s: %v", req.Method, req.URL.Path, err)
		}
		var body any
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatal(err)
		}
		if err := o.doc.Components.Schemas["Error"].Value.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("openapi: %d body is not an Error: %v", resp.StatusCode, err)
		}
		if exp.Status == http.StatusMethodNotAllowed && resp.Headers["Allow"] == "" {
			t.Error("openapi: 405 without an Allow header")
		}
		return
	}
	for k, v := range params { // API Gateway hands functions decoded path parameters
		if params[k], err = url.PathUnescape(v); err != nil {
			t.Fatal(err)
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if body := eventBody(t, raw); route.Operation.RequestBody != nil && !(json.Valid(body) && utf8.Valid(body)) {
		// application/json is one JSON value in UTF-8 (RFC 8259); kin-openapi's decoder
		// reads the first value and replaces invalid UTF-8, so check the media type here.
		reqErr = errors.Join(reqErr, errors.New("the body is not one JSON value in UTF-8"))
	}
	malformed := (exp.Status == http.StatusBadRequest || exp.Status == http.StatusRequestEntityTooLarge) && !exp.WellFormed
	switch {
	case malformed && reqErr == nil:
		t.Errorf("openapi: the document accepts a request the function refuses with %d", exp.Status)
	case !malformed && reqErr != nil:
		t.Errorf("openapi: the document refuses a request the function answers %d: %v", exp.Status, reqErr)
	}
	header := http.Header{}
	for k, v := range resp.Headers {
		header.Set(k, v)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: header, Body: io.NopCloser(strings.NewReader(resp.Body)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("openapi: the answer is not one the document describes: %v\nbody %s", err, resp.Body)
	}
}

// TestOpenAPICoversEveryRoute: the document describes exactly the routes the functions
// serve, and every operation documents the error shape of what can go wrong.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	spec := loadOpenAPI(t)
	rt, err := openBundle(t, t.TempDir()).Router()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range spec.doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			for _, status := range []string{"429", "500"} {
				if path != "/healthz" && op.Responses.Value(status) == nil {
					t.Errorf("%s %s documents no %s answer", method, path, status)
				}
			}
			if (op.Security == nil || len(*op.Security) > 0) && op.Responses.Value("401") == nil {
				t.Errorf("%s %s is behind the JWT authorizer but documents no 401", method, path)
			}
		}
	}
	slices.Sort(documented)
	if served := rt.Routes(); !slices.Equal(documented, served) {
		t.Errorf("documented routes %v\nserved routes     %v", documented, served)
	}
}

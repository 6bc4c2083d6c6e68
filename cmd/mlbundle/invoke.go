package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/config"
)

// invokeCmd runs one function on an event file and prints its answer as JSON.
func invokeCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return usageErrorf("invoke wants <function> <event.json>")
	}
	if fns := []string{bundle.Recommend, bundle.Classify, bundle.Ingest, bundle.Models, bundle.Reload}; !slices.Contains(fns, args[0]) {
		return usageErrorf("invoke: unknown function %q", args[0])
	}
	raw, err := os.ReadFile(args[1])
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	cfg.FunctionName = args[0]
	b, err := bundle.Open(ctx, cfg, bundle.Options{MetricsOut: os.Stderr, Functions: []string{args[0]}}) // only that function, as on Lambda
	if err != nil {
		return err
	}
	defer b.Close()
	out, err := invoke(ctx, b, args[0], raw)
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// eventShape is enough of an event to tell API Gateway events from S3/SQS ones.
type eventShape struct {
	Version        string `json:"version"`
	RequestContext *struct {
		HTTP *struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// invokeError is how a failed invocation is reported, as the Lambda runtime does.
type invokeError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// invoke runs function fn of b on the raw event, as Lambda would, and returns what
// the function answers: an API Gateway v2 response for HTTP functions, the
// partial batch response (or an invocation error) for reload.
func invoke(ctx context.Context, b *bundle.Bundle, fn string, raw []byte) (any, error) {
	var shape eventShape
	if err := json.Unmarshal(raw, &shape); err != nil {
		return nil, fmt.Errorf("event is not JSON: %w", err)
	}
	isHTTP := shape.RequestContext != nil && shape.RequestContext.HTTP != nil && shape.RequestContext.HTTP.Method != ""
	if fn == bundle.Reload {
		if isHTTP || len(shape.Records) == 0 {
			return nil, fmt.Errorf("function reload takes S3 or SQS events")
		}
		resp, err := b.Reload.Handle(ctx, raw)
		if err != nil {
			return invokeError{ErrorMessage: err.Error(), ErrorType: "ReloadError"}, nil
		}
		if resp == nil {
			return struct{}{}, nil
		}
		return resp, nil
	}
	if !isHTTP || shape.Version != "2.0" {
		return nil, fmt.Errorf("function %s takes API Gateway HTTP API (payload 2.0) events", fn)
	}
	rt, err := b.Router(fn)
	if err != nil {
		return nil, err
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("malformed API Gateway event: %w", err)
	}
	return rt.Lambda(ctx, e)
}

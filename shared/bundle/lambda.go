package bundle

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contentml/mlbundle/shared/config"
)

// needs names the stores each function reads, for config.Require.
var needs = map[string]config.Needs{
	Recommend: {Models: true, Interactions: true, Availability: true, Items: true},
	Classify:  {Models: true},
	Ingest:    {Interactions: true},
	Models:    {Models: true},
	Reload:    {Models: true},
}

// Main runs function name on AWS Lambda: it is the whole of each
// functions/<name>/main.go. Init (ForLambda) builds the function and loads its
// model before Lambda routes the first request; an error there (a missing or
// malformed variable) is logged and exits, so that Lambda reports a failed init
// naming it. Main does not return.
func Main(name string) {
	b, handler, err := ForLambda(context.Background(), name)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("start function", "function", name, "error", err.Error())
		os.Exit(1)
	}
	// Lambda sends SIGTERM before it shuts a sandbox down only when an extension is
	// registered; without one the process just ends, which releases everything.
	lambda.StartWithOptions(handler, lambda.WithEnableSIGTERM(func() { _ = b.Close() }))
}

// ForLambda builds function name from the environment as its Lambda runs it:
// the configuration (every store the function needs must be configured on
// Lambda), only the parts the function uses, its model loaded within
// modelstore.DefaultWarmBudget (a failure is left to the first request, which
// answers 503 until a model loads); it returns the bundle and the handler for the
// Lambda runtime.
func ForLambda(ctx context.Context, name string) (*Bundle, any, error) {
	need, ok := needs[name]
	if !ok {
		return nil, nil, fmt.Errorf("unknown function %q (have %v)", name, All)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Require(need); err != nil {
		return nil, nil, err
	}
	b, err := Open(ctx, cfg, Options{Functions: []string{name}})
	if err != nil {
		return nil, nil, err
	}
	b.Warm(ctx)
	handler, err := b.Handler(name)
	if err != nil {
		_ = b.Close()
		return nil, nil, err
	}
	return b, handler, nil
}

// Handler returns what the Lambda runtime calls for function name: the API
// Gateway (HTTP API, payload 2.0) handler of its routes, or reload's S3/SQS
// event handler.
func (b *Bundle) Handler(name string) (any, error) {
	if name == Reload {
		if b.Reload == nil {
			return nil, fmt.Errorf("function %s is not built", Reload)
		}
		return b.Reload.Handle, nil
	}
	rt, err := b.Router(name)
	if err != nil {
		return nil, err
	}
	return rt.Lambda, nil
}

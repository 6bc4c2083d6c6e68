// Command classify is the Lambda function behind POST /v1/classify.
//
// The classifier loads at init (modelstore.Cache.Warm), before Lambda routes the
// first request to the sandbox, so the first caller does not wait for the
// download and the ONNX session; when it cannot load, requests answer 503 with
// Retry-After and retry the load until a version is loadable.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("start classify function", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, aws, err := config.ForFunction(ctx, config.Needs{Models: true})
	if err != nil {
		return err
	}
	opts, err := classify.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	log := cfg.Logger(os.Stderr)
	if err := onnx.Init(cfg.ONNXRuntimeLib); err != nil {
		return err
	}
	store, pointer := modelstore.Open(cfg.ModelStore(aws))
	cache := classify.Kind(opts).Cache(modelstore.CacheConfig{Store: store, Pointer: pointer,
		Dir: os.TempDir() + "/models", TTL: cfg.ModelTTL, Logger: log})
	_ = cache.Warm(ctx, modelstore.DefaultWarmBudget) // logged; the first request retries
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(log))
	classify.NewHandler(cache).Register(rt)
	lambda.Start(rt.Lambda)
	return nil
}

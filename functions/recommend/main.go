// Command recommend is the Lambda function behind GET
// /v1/users/{user_id}/recommendations and POST /v1/scores.
//
// The NCF checkpoint loads at init (modelstore.Cache.Warm), before Lambda routes the
// first request to the sandbox; when it cannot load, requests answer 503 with
// Retry-After and retry the load until a version is loadable.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/recommend"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("start recommend function", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, aws, err := config.ForFunction(ctx, config.Needs{Models: true, Interactions: true})
	if err != nil {
		return err
	}
	log := cfg.Logger(os.Stderr)
	if err := onnx.Init(cfg.ONNXRuntimeLib); err != nil {
		return err
	}
	store, pointer := modelstore.Open(cfg.ModelStore(aws))
	seen, closeSeen, err := interactions.Open(ctx, interactions.SettingsFrom(cfg, aws))
	if err != nil {
		return err
	}
	defer closeSeen()
	cache := modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: store, Pointer: pointer,
		Dir: os.TempDir() + "/models", TTL: cfg.ModelTTL, Logger: log}, ncf.Loader(onnx.Options{}), (*ncf.Model).Close)
	_ = cache.Warm(ctx, modelstore.DefaultWarmBudget) // logged; the first request retries
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(log))
	svc := recommend.New(recommend.FromCache(cache), seen, metrics.New(os.Stdout, cfg.FunctionName),
		recommend.OverlapReads(cfg.UsesDynamo())) // hide DynamoDB's latency behind the model

	recommend.NewHandler(svc).Register(rt)
	lambda.Start(rt.Lambda)
	return nil
}

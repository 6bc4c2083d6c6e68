// Command classify is the Lambda function behind POST /v1/classify.
//
// The model loads at init (modelstore.Cache.Warm): Lambda runs init before
// routing a request to the sandbox, so the first caller does not wait for the
// download and the ONNX session; when init cannot load it, the first request
// retries and answers 503 with Retry-After until a model is loadable.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("start classify function", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.FromEnv()
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
	store, pointer, err := stores(ctx, cfg)
	if err != nil {
		return err
	}
	cache := modelstore.NewCache(modelstore.CacheConfig{
		Kind: checkpoint.Classifier, Store: store, Pointer: pointer,
		Dir: os.TempDir() + "/models", TTL: cfg.ModelTTL, Logger: log,
		Skip: modelstore.ClassifierSkip(opts.FP32), // int8 serving: no 90 MB fp32 download
	}, classify.Loader(opts), (*classify.Model).Close)
	_ = cache.Warm(ctx, modelstore.DefaultWarmBudget) // logged; the first request retries
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(log))
	classify.NewHandler(cache).Register(rt)
	lambda.Start(rt.Lambda)
	return nil
}

// stores picks S3 and DynamoDB when configured, the local models dir otherwise.
func stores(ctx context.Context, cfg config.Config) (modelstore.Store, modelstore.Pointer, error) {
	var store modelstore.Store = modelstore.NewLocal(cfg.ModelsDir)
	var pointer modelstore.Pointer = modelstore.NewLocalPointer(cfg.ModelsDir)
	if !cfg.UsesS3() && cfg.ActiveTable == "" {
		return store, pointer, nil
	}
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		return nil, nil, err
	}
	if cfg.UsesS3() {
		store = modelstore.NewS3(cfg.S3(awsCfg), cfg.ModelsBucket, cfg.ModelsPrefix)
	}
	if cfg.ActiveTable != "" {
		pointer = modelstore.NewDynamoPointer(cfg.DynamoDB(awsCfg), cfg.ActiveTable)
	}
	return store, pointer, nil
}

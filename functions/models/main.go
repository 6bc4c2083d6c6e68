// Command models is the Lambda function behind GET /v1/models and GET /healthz.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/catalog"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/modelstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("start models function", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, aws, err := config.ForFunction(ctx, config.Needs{Models: true})
	if err != nil {
		return err
	}
	store, pointer := modelstore.Open(cfg.ModelStore(aws))
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(cfg.Logger(os.Stderr)))
	catalog.New(store, pointer, cfg.ModelTTL).Register(rt)
	lambda.Start(rt.Lambda)
	return nil
}

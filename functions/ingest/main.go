// Command ingest is the Lambda function behind POST /v1/interactions: it validates a
// batch of interactions and stores it (DynamoDB, or SQLite locally), so that the next
// recommend call of those users already excludes the items.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("start ingest function", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, aws, err := config.ForFunction(ctx, config.Needs{Interactions: true})
	if err != nil {
		return err
	}
	store, closeStore, err := interactions.Open(ctx, interactions.SettingsFrom(cfg, aws))
	if err != nil {
		return err
	}
	defer closeStore()
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(cfg.Logger(os.Stderr)))
	interactions.NewHandler(store).Register(rt)
	lambda.Start(rt.Lambda)
	return nil
}

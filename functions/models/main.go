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
	cfg, err := config.FromEnv()
	if err != nil {
		slog.Error("start models function", "error", err.Error())
		os.Exit(1)
	}
	log := cfg.Logger(os.Stderr)
	ctx := context.Background()
	var store modelstore.Store = modelstore.NewLocal(cfg.ModelsDir)
	var pointer modelstore.Pointer = modelstore.NewLocalPointer(cfg.ModelsDir)
	if cfg.UsesS3() || cfg.ActiveTable != "" {
		awsCfg, err := cfg.AWS(ctx)
		if err != nil {
			log.Error("start models function", "error", err.Error())
			os.Exit(1)
		}
		if cfg.UsesS3() {
			store = modelstore.NewS3(cfg.S3(awsCfg), cfg.ModelsBucket, cfg.ModelsPrefix)
		}
		if cfg.ActiveTable != "" {
			pointer = modelstore.NewDynamoPointer(cfg.DynamoDB(awsCfg), cfg.ActiveTable)
		}
	}
	rt := api.NewRouter(api.WithAuth(cfg.Auth()), api.WithLogger(log))
	catalog.New(store, pointer, cfg.ModelTTL).Register(rt)
	lambda.Start(rt.Lambda)
}

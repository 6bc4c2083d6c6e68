// Command reload is the Lambda function that verifies a checkpoint announced by an
// S3 ObjectCreated event (directly or through SQS) and promotes it (see
// shared/reload).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/reload"
)

func main() {
	ctx := context.Background()
	c, err := config.FromEnv()
	if err == nil {
		err = onnx.Init(c.ONNXRuntimeLib)
	}
	log := c.Logger(os.Stdout)
	aws, aerr := c.AWS(ctx)
	if err != nil || aerr != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("reload: start", "error", err, "aws_error", aerr)
		os.Exit(1)
	}
	store, ptr := modelstore.Open(modelstore.Settings{Dir: c.ModelsDir, Bucket: c.ModelsBucket,
		Prefix: c.ModelsPrefix, ActiveTable: c.ActiveTable, S3: c.S3(aws), Dynamo: c.DynamoDB(aws)})
	h := &reload.Handler{Store: store, Pointer: ptr, Bucket: c.ModelsBucket, Prefix: c.ModelsPrefix,
		Dir: os.TempDir() + "/models", Validator: reload.ONNXValidator{}, Logger: log,
		Metrics: metrics.New(os.Stdout, c.FunctionName)}
	lambda.Start(h.Handle)
}

// Command reload is the Lambda function that verifies a checkpoint announced by an
// S3 ObjectCreated event (directly or through SQS) and promotes it (see
// shared/reload).
package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/reload"
)

func main() {
	h, err := setup(context.Background())
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("reload: start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context) (*reload.Handler, error) {
	c, aws, err := config.ForFunction(ctx, config.Needs{Models: true})
	if err != nil {
		return nil, err
	}
	if err := onnx.Init(c.ONNXRuntimeLib); err != nil {
		return nil, err
	}
	store, ptr := modelstore.Open(c.ModelStore(aws))
	return &reload.Handler{Store: store, Pointer: ptr, Bucket: c.ModelsBucket, Prefix: c.ModelsPrefix,
		Dir: filepath.Join(os.TempDir(), "models"), Validator: bundle.Validator(),
		Metrics: metrics.New(os.Stdout, c.FunctionName), Logger: c.Logger(os.Stdout)}, nil
}

package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/onnx"
)

func TestSetupBadConfig(t *testing.T) {
	t.Setenv("MODEL_TTL_SECONDS", "soon")
	if _, err := setup(context.Background()); err == nil || !strings.Contains(err.Error(), "MODEL_TTL_SECONDS") {
		t.Errorf("setup = %v, want an error naming MODEL_TTL_SECONDS", err)
	}
}

func TestSetupLocal(t *testing.T) {
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" {
		t.Skip("ONNXRUNTIME_LIB unset: run scripts/onnxruntime.sh and export its output")
	}
	for _, k := range []string{"MODELS_BUCKET", "ACTIVE_TABLE", "INTERACTIONS_TABLE", "POPULARITY_TABLE"} {
		t.Setenv(k, "")
	}
	t.Setenv("MODELS_DIR", t.TempDir())
	h, err := setup(context.Background())
	if errors.Is(err, onnx.ErrNoCgo) {
		t.Skip("built without cgo")
	}
	if err != nil {
		t.Fatal(err)
	}
	if h.Store == nil || h.Pointer == nil || h.Validator == nil || h.Prefix != "models/" {
		t.Errorf("handler = %+v", h)
	}
	resp, err := h.Handle(context.Background(), []byte(`{"Event":"s3:TestEvent"}`))
	if err != nil || resp != nil {
		t.Errorf("Handle(test event) = %v, %v", resp, err)
	}
}

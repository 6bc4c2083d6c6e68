// Package onnxtest starts ONNX Runtime for tests: from the library named by
// ONNXRUNTIME_LIB (scripts/onnxruntime.sh prints it; scripts/test.sh exports it),
// skipping with one clear message where it is unset or the build has no cgo.
package onnxtest

import (
	"errors"
	"os"
	"testing"

	"github.com/contentml/mlbundle/shared/onnx"
)

// Init initialises ONNX Runtime once for the process, or skips tb when the
// library is not configured or the build has no cgo; any other failure is fatal.
func Init(tb testing.TB) {
	tb.Helper()
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" {
		tb.Skip("ONNXRUNTIME_LIB unset: export the output of scripts/onnxruntime.sh to run the ONNX tests")
	}
	if err := onnx.Init(lib); errors.Is(err, onnx.ErrNoCgo) {
		tb.Skip("built without cgo: ONNX Runtime unavailable")
	} else if err != nil {
		tb.Fatalf("onnx.Init(%s): %v", lib, err)
	}
}

//go:build cgo

package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkOpen compares the two ways Open can learn a model's inputs and
// outputs: the protobuf reader (what Open does) against asking ONNX Runtime,
// which builds a throw-away session first. Models: the test models plus any in
// ONNX_EXTRA_MODELS (colon-separated), e.g. a MiniLM classifier.
func BenchmarkOpen(b *testing.B) {
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" {
		b.Skip("ONNXRUNTIME_LIB unset")
	}
	if err := Init(lib); err != nil {
		b.Fatal(err)
	}
	paths := []string{"testdata/text.onnx"}
	if extra := os.Getenv("ONNX_EXTRA_MODELS"); extra != "" {
		paths = append(paths, strings.Split(extra, ":")...)
	}
	for _, p := range paths {
		for _, mode := range []struct {
			name    string
			runtime bool
		}{{"reader", false}, {"runtime-info", true}} {
			b.Run(filepath.Base(filepath.Dir(p))+"-"+filepath.Base(p)+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					if _, _, err := graphIOFrom(p, mode.runtime); err != nil {
						b.Fatal(err)
					}
					s, err := Open(p, Options{})
					if err != nil {
						b.Fatal(err)
					}
					s.Close()
				}
			})
		}
	}
}

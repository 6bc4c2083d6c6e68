package onnx

import (
	"os"
	"path/filepath"
	"testing"
)

// A hostile or truncated model file must give an error, never a panic.
func FuzzParseGraphIO(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.onnx")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
			f.Add(data[:len(data)/2])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = parseGraphIO(data)
	})
}

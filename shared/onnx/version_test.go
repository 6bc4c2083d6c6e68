//go:build cgo

package onnx_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/onnx"
)

// The library Go serves with must be the ONNX Runtime that the Python side pins
// (training/requirements.lock), since the parity references and the int8 export
// are computed there: a checkpoint is promoted only if Go reproduces them.
func TestVersionMatchesTrainingLock(t *testing.T) {
	initORT(t)
	got, err := onnx.Version()
	if err != nil {
		t.Fatal(err)
	}
	want := lockedVersion(t, filepath.Join("..", "..", "training", "requirements.lock"), "onnxruntime")
	if got != want {
		t.Errorf("ONNXRUNTIME_LIB %s is ONNX Runtime %s; training/requirements.lock pins onnxruntime==%s (use scripts/onnxruntime.sh)",
			os.Getenv("ONNXRUNTIME_LIB"), got, want)
	}
}

// lockedVersion is the version that the pip lock file at path pins for pkg.
func lockedVersion(t *testing.T, path, pkg string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, version, ok := strings.Cut(strings.TrimSpace(sc.Text()), "==")
		if ok && strings.EqualFold(name, pkg) {
			version, _, _ = strings.Cut(version, " ")
			return version
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("%s pins no %s==<version>", path, pkg)
	return ""
}

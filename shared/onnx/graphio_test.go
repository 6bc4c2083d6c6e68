//go:build cgo

package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// The protobuf reader must agree with ONNX Runtime on every model it accepts.
// Extra models (a real classifier, say) can be listed in ONNX_EXTRA_MODELS,
// separated by colons.
func TestGraphIOMatchesRuntime(t *testing.T) {
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" {
		t.Skip("ONNXRUNTIME_LIB unset: run scripts/onnxruntime.sh and export its output to run ONNX tests")
	}
	if err := Init(lib); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob("testdata/*.onnx")
	if extra := os.Getenv("ONNX_EXTRA_MODELS"); extra != "" {
		paths = append(paths, strings.Split(extra, ":")...)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in, out, err := readGraphIO(p)
			rin, rout, rerr := ort.GetInputOutputInfo(p)
			if rerr != nil {
				t.Fatal(rerr)
			}
			wantIn, errIn := convertInfo(rin)
			wantOut, errOut := convertInfo(rout)
			if errIn != nil || errOut != nil {
				if err == nil {
					t.Fatalf("reader accepted %s, runtime info rejects it: %v %v", p, errIn, errOut)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, wantIn) || !reflect.DeepEqual(out, wantOut) {
				t.Errorf("reader: %v -> %v\nruntime: %v -> %v", in, out, wantIn, wantOut)
			}
		})
	}
}

func TestParseGraphIOMalformed(t *testing.T) {
	for _, b := range [][]byte{{0xff}, {0x3a, 0x05, 0x01}, {0x0f}, []byte("not a model")} {
		if _, _, err := parseGraphIO(b); !errors.Is(err, errProto) {
			t.Errorf("parseGraphIO(%q) = %v, want errProto", b, err)
		}
	}
}

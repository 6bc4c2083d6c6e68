package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/infra/serving"
)

func TestAssetsBuilt(t *testing.T) {
	// GIVEN the assets that scripts/build-lambdas.sh built for the app's architecture
	f := getFixture(t)
	wantMachine := elf.EM_X86_64
	if f.cfg.Arch == "arm64" {
		wantMachine = elf.EM_AARCH64
	}
	if f.buildErr != nil {
		t.Errorf("scripts/build-lambdas.sh: %v\n%s", f.buildErr, f.buildLog)
	} else {
		t.Log(f.buildLog)
	}
	files := map[string]string{"layer": filepath.Join(f.cfg.LayerDir(), "lib", "libonnxruntime.so.1")}
	for _, fn := range serving.FunctionNames() {
		files[fn] = filepath.Join(f.cfg.LambdaDir(fn), "bootstrap")
	}
	onnx := map[string]bool{"layer": true}
	for _, fn := range serving.ONNXFunctionNames() {
		onnx[fn] = true
	}
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			// WHEN we open the file the stack points at
			st, err := os.Stat(path)
			if err != nil {
				t.Fatalf("%s: %v (functions/%s missing or not building?)", name, err, name)
			}
			// THEN it is a Linux ELF for the Lambda architecture, executable if a bootstrap
			e, err := elf.Open(path)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			defer e.Close()
			if e.Machine != wantMachine {
				t.Errorf("%s: machine %v, want %v", path, e.Machine, wantMachine)
			}
			if name != "layer" && st.Mode()&0o111 == 0 {
				t.Errorf("%s: not executable (%v)", path, st.Mode())
			}
			// AND an ONNX function is a cgo build (dynamically linked, to dlopen the
			// layer's library): a build without cgo would get shared/onnx's stub
			if onnx[name] != dynamic(e) {
				t.Errorf("%s: dynamically linked %v, want %v (cgo build iff it runs ONNX Runtime)", path, dynamic(e), onnx[name])
			}
		})
	}
	if err := f.cfg.CheckAssets(); err != nil {
		t.Errorf("CheckAssets: %v", err)
	}
}

func TestScriptListsEveryFunction(t *testing.T) {
	// GIVEN the script's default function list and the stack's function table
	out, err := exec.Command("../scripts/build-lambdas.sh", "--list").Output()
	if err != nil {
		t.Fatalf("build-lambdas.sh --list: %v", err)
	}
	// THEN they are the same
	if got, want := strings.Fields(string(out)), serving.FunctionNames(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("build-lambdas.sh builds %v, the serving stack deploys %v", got, want)
	}
}

// dynamic reports whether an ELF file is dynamically linked (has a PT_DYNAMIC segment).
func dynamic(e *elf.File) bool {
	for _, p := range e.Progs {
		if p.Type == elf.PT_DYNAMIC {
			return true
		}
	}
	return false
}

//go:build cgo

package onnx_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// initORT initialises ONNX Runtime from ONNXRUNTIME_LIB or skips the test.
func initORT(t testing.TB) {
	t.Helper()
	onnxtest.Init(t)
}

func open(t testing.TB, name string) *onnx.Session {
	t.Helper()
	initORT(t)
	s, err := onnx.Open("testdata/"+name, onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestInitTwice(t *testing.T) {
	initORT(t)
	if err := onnx.Init(os.Getenv("ONNXRUNTIME_LIB")); err != nil {
		t.Errorf("Init with the same path again: %v, want nil", err)
	}
	if err := onnx.Init("/elsewhere/libonnxruntime.so.1"); err == nil {
		t.Error("Init with another path: nil error, want one")
	}
	if err := onnx.Init(""); err == nil || !strings.Contains(err.Error(), "ONNXRUNTIME_LIB") {
		t.Errorf("Init(\"\") = %v, want an error naming ONNXRUNTIME_LIB", err)
	}
}

func TestOpenReadsIO(t *testing.T) {
	s := open(t, "text.onnx")
	if got, want := len(s.Inputs()), 3; got != want {
		t.Fatalf("inputs = %v, want %d", s.Inputs(), want)
	}
	if got, want := s.Inputs()[0].String(), "input_ids:int64[?,?]"; got != want {
		t.Errorf("input 0 = %s, want %s", got, want)
	}
	if got, want := s.Outputs()[0].String(), "logits:float32[?,3]"; got != want {
		t.Errorf("output 0 = %s, want %s", got, want)
	}
	if s.Provider() != "cpu" {
		t.Errorf("provider = %s, want cpu", s.Provider())
	}
}

func TestOpenErrors(t *testing.T) {
	initORT(t)
	if _, err := onnx.Open("testdata/missing.onnx", onnx.Options{}); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Errorf("Open(missing) = %v, want an error naming the file", err)
	}
	if _, err := onnx.Open("testdata/make_models.py", onnx.Options{}); err == nil {
		t.Error("Open(not a model) = nil error, want one")
	}
	if _, err := onnx.Open("testdata/wrong_io.onnx", onnx.Options{}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("Open(int32 output) = %v, want an unsupported element type error", err)
	}
}

func TestRunPair(t *testing.T) {
	s := open(t, "pair.onnx")
	out, err := s.Run([]onnx.Tensor{
		{Name: "item", Shape: []int64{3}, Int64: []int64{1, 3, 10}}, // any order
		{Name: "user", Shape: []int64{3}, Int64: []int64{2, 4, 0}},
	}, []string{"logit"})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 5, 10}
	if len(out) != 1 || out[0].Name != "logit" || len(out[0].Float32) != 3 {
		t.Fatalf("out = %+v, want one logit tensor of 3", out)
	}
	for i := range want {
		if out[0].Float32[i] != want[i] {
			t.Errorf("logit[%d] = %v, want %v", i, out[0].Float32[i], want[i])
		}
	}
	if got := out[0].Shape; len(got) != 1 || got[0] != 3 {
		t.Errorf("shape = %v, want [3]", got)
	}
}

func TestRunText(t *testing.T) {
	s := open(t, "text.onnx")
	out, err := s.Run([]onnx.Tensor{
		{Name: "input_ids", Shape: []int64{2, 3}, Int64: []int64{1, 2, 3, 4, 5, 0}},
		{Name: "attention_mask", Shape: []int64{2, 3}, Int64: []int64{1, 1, 1, 1, 1, 0}},
		{Name: "token_type_ids", Shape: []int64{2, 3}, Int64: make([]int64, 6)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{6, -6, 3, 9, -9, 4.5}
	for i, w := range want {
		if out[0].Float32[i] != w {
			t.Errorf("logits[%d] = %v, want %v", i, out[0].Float32[i], w)
		}
	}
}

func TestRunBadInputs(t *testing.T) {
	s := open(t, "pair.onnx")
	user := onnx.Tensor{Name: "user", Shape: []int64{2}, Int64: []int64{1, 2}}
	tests := []struct {
		name    string
		inputs  []onnx.Tensor
		outputs []string
		want    string
	}{
		{"missing input", []onnx.Tensor{user}, nil, "takes 2 inputs"},
		{"unknown input", []onnx.Tensor{user, {Name: "x", Shape: []int64{2}, Int64: []int64{1, 2}}}, nil, `no input "x"`},
		{"twice", []onnx.Tensor{user, user}, nil, "given twice"},
		{"wrong dtype", []onnx.Tensor{user, {Name: "item", Shape: []int64{2}, Float32: []float32{1, 2}}}, nil, "int64 values"},
		{"short data", []onnx.Tensor{user, {Name: "item", Shape: []int64{3}, Int64: []int64{1, 2}}}, nil, "wants 3 int64"},
		{"wrong rank", []onnx.Tensor{user, {Name: "item", Shape: []int64{1, 2}, Int64: []int64{1, 2}}}, nil, "rank 2"},
		{"scalar", []onnx.Tensor{user, {Name: "item", Shape: []int64{}, Int64: []int64{1}}}, nil, "scalar"},
		{"unknown output", []onnx.Tensor{user, user}, []string{"nope"}, `no output "nope"`},
		{"batch mismatch", []onnx.Tensor{user, {Name: "item", Shape: []int64{3}, Int64: []int64{1, 2, 3}}}, nil, "run testdata/pair.onnx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Run(tt.inputs, tt.outputs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestConcurrentRunAndClose(t *testing.T) {
	initORT(t)
	s, err := onnx.Open("testdata/pair.onnx", onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				u, it := int64(g), int64(i)
				out, err := s.Run([]onnx.Tensor{
					{Name: "user", Shape: []int64{1}, Int64: []int64{u}},
					{Name: "item", Shape: []int64{1}, Int64: []int64{it}},
				}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if want := 0.5*float32(u) + float32(it); out[0].Float32[0] != want {
					t.Errorf("user %d item %d: got %v want %v", u, it, out[0].Float32[0], want)
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	_, err = s.Run([]onnx.Tensor{{Name: "user", Shape: []int64{1}, Int64: []int64{1}}, {Name: "item", Shape: []int64{1}, Int64: []int64{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run after Close = %v, want closed error", err)
	}
}

func TestExpect(t *testing.T) {
	s := open(t, "pair.onnx")
	ids := func(n string) onnx.IOInfo {
		return onnx.IOInfo{Name: n, DType: onnx.Int64, Shape: []int64{onnx.Dynamic}}
	}
	logit := onnx.IOInfo{Name: "logit", DType: onnx.Float32, Shape: []int64{onnx.Dynamic}}
	tests := []struct {
		name    string
		inputs  []onnx.IOInfo
		outputs []onnx.IOInfo
		want    string // "" = match
	}{
		{"match", []onnx.IOInfo{ids("user"), ids("item")}, []onnx.IOInfo{logit}, ""},
		{"fixed size accepted by dynamic", []onnx.IOInfo{ids("user"), {Name: "item", DType: onnx.Int64, Shape: []int64{8}}}, []onnx.IOInfo{logit}, ""},
		{"missing input", []onnx.IOInfo{ids("user"), ids("items")}, []onnx.IOInfo{logit}, `input "items" missing`},
		{"wrong dtype", []onnx.IOInfo{ids("user"), ids("item")}, []onnx.IOInfo{{Name: "logit", DType: onnx.Int64, Shape: []int64{-1}}}, "is float32, want int64"},
		{"wrong rank", []onnx.IOInfo{ids("user"), ids("item")}, []onnx.IOInfo{{Name: "logit", DType: onnx.Float32, Shape: []int64{-1, 1}}}, "rank 1"},
		{"extra model input", []onnx.IOInfo{ids("user")}, []onnx.IOInfo{logit}, "model has 2 inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := onnx.Expect(s, tt.inputs, tt.outputs)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Expect = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "pair.onnx") {
				t.Errorf("Expect = %v, want error naming pair.onnx and containing %q", err, tt.want)
			}
		})
	}
	text := open(t, "score_all.onnx")
	err := onnx.Expect(text, []onnx.IOInfo{{Name: "user", DType: onnx.Int64, Shape: []int64{1}}}, []onnx.IOInfo{{Name: "logits", DType: onnx.Float32, Shape: []int64{5}}})
	if err == nil || !strings.Contains(err.Error(), "dimension 0 is 4, want 5") {
		t.Errorf("Expect fixed size mismatch = %v", err)
	}
}

// Asking for CUDA never fails: without the provider (the library from the CPU wheel ships
// none) or a device the session runs on the CPU and computes the same.
func TestCUDAFallback(t *testing.T) {
	initORT(t)
	s, err := onnx.Open("testdata/pair.onnx", onnx.Options{CUDA: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := s.Provider(); p != "cpu" && p != "cuda" {
		t.Errorf("provider = %q, want cpu or cuda", p)
	}
	out, err := s.Run([]onnx.Tensor{
		{Name: "user", Shape: []int64{1}, Int64: []int64{4}},
		{Name: "item", Shape: []int64{1}, Int64: []int64{1}},
	}, nil)
	if err != nil || out[0].Float32[0] != 3 {
		t.Errorf("Run on %s = %v, %v; want 3", s.Provider(), out, err)
	}
}

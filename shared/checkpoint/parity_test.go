package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
)

// pairRunner computes what the fixture's ONNX files compute, in Go, with an
// optional error added to every output.
type pairRunner struct{ skew float32 }

func (r pairRunner) Run(ctx context.Context, file string, in []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	byName := map[string]checkpoint.Tensor{}
	for _, t := range in {
		byName[t.Name] = t
	}
	switch file {
	case "model.onnx":
		u, it := byName["user"].Int64, byName["item"].Int64
		out := make([]float32, len(u))
		for i := range u {
			out[i] = 0.5*float32(u[i]) + float32(it[i]) + r.skew
		}
		return []checkpoint.Tensor{{Name: "logit", Shape: []int64{int64(len(u))}, Float32: out}}, nil
	case "score_all.onnx":
		u := float32(byName["user"].Int64[0])
		return []checkpoint.Tensor{{Name: "logits", Shape: []int64{4}, Float32: []float32{u + r.skew, u + 1, u + 2, u + 3}}}, nil
	}
	return nil, fmt.Errorf("no file %s", file)
}

func TestRunParity(t *testing.T) {
	c := checkpointtest.NCF("v1", created)
	p, err := checkpoint.ParseParity(c.Files["parity.json"])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		skew float32
		want string
	}{
		{"exact", 0, ""},
		{"within tolerance", 5e-5, ""},
		{"beyond tolerance", 1e-3, "differs by 0.001 at index 0"},
		{"nan", float32(math.NaN()), "differs by +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkpoint.RunParity(context.Background(), pairRunner{tt.skew}, p)
			if tt.want == "" {
				if err != nil {
					t.Errorf("RunParity = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, checkpoint.ErrParity) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunParity = %v, want ErrParity containing %q", err, tt.want)
			}
			// both checks fail and both are reported
			if !strings.Contains(err.Error(), "model.onnx") || !strings.Contains(err.Error(), "score_all.onnx") {
				t.Errorf("RunParity = %v, want both files reported", err)
			}
		})
	}
}

func TestParityIntsExact(t *testing.T) {
	big := int64(1)<<53 + 1 // not representable as float64
	p, err := checkpoint.ParseParity([]byte(fmt.Sprintf(`{"checks":[{"file":"m.onnx","tolerance":0,
		"inputs":{"x":{"dtype":"int64","shape":[1],"data":[%d]}},
		"outputs":{"y":{"dtype":"float32","shape":[1],"data":[1.5]}}}]}`, big)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Checks[0].Inputs["x"].Ints[0]; got != big {
		t.Errorf("int64 input = %d, want %d", got, big)
	}
}

func TestParseParityInvalid(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no checks", `{"checks":[]}`, "no checks"},
		{"traversal", `{"checks":[{"file":"../m.onnx","tolerance":0,"inputs":{"x":{"dtype":"int64","shape":[1],"data":[1]}},"outputs":{"y":{"dtype":"float32","shape":[1],"data":[1]}}}]}`, "path separator"},
		{"shape vs data", `{"checks":[{"file":"m.onnx","inputs":{"x":{"dtype":"int64","shape":[2],"data":[1]}}}]}`, "needs 2 values"},
		{"dtype", `{"checks":[{"file":"m.onnx","inputs":{"x":{"dtype":"int8","shape":[1],"data":[1]}}}]}`, `"int8"`},
		{"fraction in int64", `{"checks":[{"file":"m.onnx","inputs":{"x":{"dtype":"int64","shape":[1],"data":[1.5]}}}]}`, "not an int64"},
		{"negative tolerance", `{"checks":[{"file":"m.onnx","tolerance":-1,"inputs":{"x":{"dtype":"int64","shape":[1],"data":[1]}},"outputs":{"y":{"dtype":"float32","shape":[1],"data":[1]}}}]}`, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkpoint.ParseParity([]byte(tt.in))
			if !errors.Is(err, checkpoint.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseParity = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

type fixedScorer [][]float32

func (s fixedScorer) Logits(ctx context.Context, texts []string) ([][]float32, error) { return s, nil }

func TestRunTextParity(t *testing.T) {
	p := &checkpoint.Parity{Texts: []checkpoint.TextCase{{Text: "oil", Logits: []float64{1, -2}, Tolerance: 1e-4}}}
	if err := checkpoint.RunTextParity(context.Background(), fixedScorer{{1, -2.00001}}, p); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	if err := checkpoint.RunTextParity(context.Background(), fixedScorer{{1, -2.1}}, p); !errors.Is(err, checkpoint.ErrParity) {
		t.Errorf("beyond tolerance: %v, want ErrParity", err)
	}
	if err := checkpoint.RunTextParity(context.Background(), fixedScorer{{1}}, p); !errors.Is(err, checkpoint.ErrParity) {
		t.Errorf("wrong label count: %v, want ErrParity", err)
	}
}

package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// ErrParity marks a model whose outputs differ from the reference beyond tolerance.
var ErrParity = errors.New("parity mismatch")

// Parity is parity.json: fixed inputs and the outputs training computed for them.
type Parity struct {
	Checks []ParityCheck `json:"checks"`
	// Texts are end-to-end classifier cases (text -> logits); see RunTextParity.
	Texts []TextCase `json:"texts,omitempty"`
	// Retrieval are ncf candidate-retrieval cases (the retrieval_index artifact).
	Retrieval []RetrievalCase `json:"retrieval,omitempty"`
}

// RetrievalCase is one search of a retrieval index and the candidates training's
// search returned: Items best first, with their retrieval Scores.
type RetrievalCase struct {
	File       string    `json:"file"`
	User       int       `json:"user"`
	Scan       int       `json:"scan"`
	Candidates int       `json:"candidates"`
	Items      []int     `json:"items"`
	Scores     []float64 `json:"scores"`
	Tolerance  float64   `json:"tolerance"`
}

// ParityCheck is one run of one ONNX file.
type ParityCheck struct {
	File      string                  `json:"file"`
	Tolerance float64                 `json:"tolerance"`
	Reference string                  `json:"reference"` // pytorch | onnxruntime
	Inputs    map[string]ParityTensor `json:"inputs"`
	Outputs   map[string]ParityTensor `json:"outputs"`
}

// ParityTensor is a tensor as parity.json stores it. Data holds int64 values
// exactly (decoded from the JSON numbers' text) and float32 values as float64.
type ParityTensor struct {
	DType string    `json:"dtype"`
	Shape []int64   `json:"shape"`
	Data  []float64 `json:"-"`
	Ints  []int64   `json:"-"`
}

// TextCase is one classifier text and the logits training computed for it.
type TextCase struct {
	Text      string    `json:"text"`
	Logits    []float64 `json:"logits"`
	Tolerance float64   `json:"tolerance"`
}

// Tensor is a named tensor passed to and returned by a Runner. Its fields match
// onnx.Tensor, so a runner converts with onnx.Tensor(t) and Tensor(o).
type Tensor struct {
	Name    string
	Shape   []int64
	Int64   []int64
	Float32 []float32
}

// Runner runs one ONNX file of a version; implemented over ONNX sessions by the
// caller (reload.Sessions).
type Runner interface {
	Run(ctx context.Context, file string, inputs []Tensor, outputs []string) ([]Tensor, error)
}

// TextScorer returns the classifier logits of texts (tokenizer and model together).
type TextScorer interface {
	Logits(ctx context.Context, texts []string) ([][]float32, error)
}

// UnmarshalJSON keeps int64 data exact.
func (t *ParityTensor) UnmarshalJSON(b []byte) error {
	var raw struct {
		DType string        `json:"dtype"`
		Shape []int64       `json:"shape"`
		Data  []json.Number `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	*t = ParityTensor{DType: raw.DType, Shape: raw.Shape}
	for i, n := range raw.Data {
		switch raw.DType {
		case "int64":
			v, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil {
				return fmt.Errorf("data[%d] %s is not an int64", i, n)
			}
			t.Ints = append(t.Ints, v)
		case "float32":
			v, err := n.Float64()
			if err != nil {
				return fmt.Errorf("data[%d] %s is not a number", i, n)
			}
			t.Data = append(t.Data, v)
		default:
			return fmt.Errorf("dtype %q is not int64 or float32", raw.DType)
		}
	}
	if want := elements(raw.Shape); want != len(raw.Data) {
		return fmt.Errorf("shape %v needs %d values, data has %d", raw.Shape, want, len(raw.Data))
	}
	return nil
}

// MarshalJSON writes the tensor as parity.json stores it.
func (t ParityTensor) MarshalJSON() ([]byte, error) {
	var data any = t.Data
	if t.DType == "int64" {
		data = t.Ints
	}
	return json.Marshal(struct {
		DType string  `json:"dtype"`
		Shape []int64 `json:"shape"`
		Data  any     `json:"data"`
	}{t.DType, t.Shape, data})
}

// elements is the number of values of shape, or -1 for a negative dimension or a
// product beyond int (which would otherwise wrap, e.g. to 0 for [2^32, 2^32]).
func elements(shape []int64) int {
	n, zero, overflow := uint64(1), false, false
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		zero = zero || d == 0
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			overflow, lo = true, 1
		}
		n = lo
	}
	switch {
	case zero:
		return 0
	case overflow:
		return -1
	}
	return int(n)
}

// ParseParity decodes parity.json; every check needs a file, inputs, outputs and
// a tolerance >= 0.
func ParseParity(data []byte) (*Parity, error) {
	var p Parity
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: parity.json: %v", ErrInvalid, err)
	}
	var probs problems
	if len(p.Checks) == 0 {
		probs.add("no checks")
	}
	for i, c := range p.Checks {
		if err := CheckFileName(c.File); err != nil {
			probs.add("checks[%d].file: %v", i, err)
		}
		if len(c.Inputs) == 0 || len(c.Outputs) == 0 {
			probs.add("checks[%d] needs inputs and outputs", i)
		}
		if !(c.Tolerance >= 0) {
			probs.add("checks[%d].tolerance %v is negative", i, c.Tolerance)
		}
	}
	for i, tc := range p.Texts {
		if len(tc.Logits) == 0 || !(tc.Tolerance >= 0) {
			probs.add("texts[%d] needs logits and a tolerance >= 0", i)
		}
	}
	for i, rc := range p.Retrieval {
		if err := CheckFileName(rc.File); err != nil {
			probs.add("retrieval[%d].file: %v", i, err)
		}
		if len(rc.Items) != len(rc.Scores) || len(rc.Items) > rc.Candidates || rc.User < 0 || rc.Scan < 0 || !(rc.Tolerance > 0) {
			probs.add("retrieval[%d] needs a user, scan >= 0, as many scores as items (at most candidates) and a tolerance > 0", i)
		}
	}
	if err := probs.err("parity.json"); err != nil {
		return nil, err
	}
	return &p, nil
}

// RunParity runs every check of p through r and compares each output value with
// the reference, within the check's absolute tolerance. All failing checks are
// reported; each failure wraps ErrParity (or is the runner's error).
func RunParity(ctx context.Context, r Runner, p *Parity) error {
	var errs []error
	for i, c := range p.Checks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := runCheck(ctx, r, c); err != nil {
			errs = append(errs, fmt.Errorf("parity check %d (%s): %w", i, c.File, err))
		}
	}
	return errors.Join(errs...)
}

func runCheck(ctx context.Context, r Runner, c ParityCheck) error {
	inputs := make([]Tensor, 0, len(c.Inputs))
	for _, name := range slices.Sorted(maps.Keys(c.Inputs)) {
		pt := c.Inputs[name]
		t := Tensor{Name: name, Shape: pt.Shape, Int64: pt.Ints}
		if pt.DType == "float32" {
			t = Tensor{Name: name, Shape: pt.Shape, Float32: toFloat32(pt.Data)}
		}
		inputs = append(inputs, t)
	}
	names := slices.Sorted(maps.Keys(c.Outputs))
	got, err := r.Run(ctx, c.File, inputs, names)
	if err != nil {
		return err
	}
	if len(got) != len(names) {
		return fmt.Errorf("runner returned %d outputs, want %d", len(got), len(names))
	}
	var errs []error
	for i, name := range names {
		if err := compareOutput(name, got[i], c.Outputs[name], c.Tolerance); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func compareOutput(name string, got Tensor, want ParityTensor, tol float64) error {
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("%w: output %q has shape %v, reference %v", ErrParity, name, got.Shape, want.Shape)
	}
	if want.DType == "int64" {
		for i := range want.Ints {
			if i >= len(got.Int64) || got.Int64[i] != want.Ints[i] {
				return fmt.Errorf("%w: output %q differs at index %d", ErrParity, name, i)
			}
		}
		return nil
	}
	if len(got.Float32) != len(want.Data) {
		return fmt.Errorf("%w: output %q has %d float32 values, reference %d", ErrParity, name, len(got.Float32), len(want.Data))
	}
	return compareFloats(fmt.Sprintf("output %q", name), got.Float32, want.Data, tol)
}

// compareFloats reports the worst difference when any exceeds tol (NaN fails).
func compareFloats(what string, got []float32, want []float64, tol float64) error {
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > tol && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at >= 0 {
		return fmt.Errorf("%w: %s differs by %.3g at index %d (got %v, reference %v, tolerance %g)", ErrParity, what, worst, at, got[at], want[at], tol)
	}
	return nil
}

// RunTextParity scores every text case of p with s and compares the logits.
func RunTextParity(ctx context.Context, s TextScorer, p *Parity) error {
	if len(p.Texts) == 0 {
		return nil
	}
	texts := make([]string, len(p.Texts))
	for i, tc := range p.Texts {
		texts[i] = tc.Text
	}
	got, err := s.Logits(ctx, texts)
	if err != nil {
		return fmt.Errorf("parity texts: %w", err)
	}
	if len(got) != len(texts) {
		return fmt.Errorf("%w: scorer returned %d rows for %d texts", ErrParity, len(got), len(texts))
	}
	var errs []error
	for i, tc := range p.Texts {
		if len(got[i]) != len(tc.Logits) {
			errs = append(errs, fmt.Errorf("%w: text %d has %d logits, reference %d", ErrParity, i, len(got[i]), len(tc.Logits)))
			continue
		}
		if err := compareFloats(fmt.Sprintf("text %d logits", i), got[i], tc.Logits, tc.Tolerance); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

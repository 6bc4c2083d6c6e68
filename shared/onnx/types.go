package onnx

import (
	"errors"
	"fmt"
	"strings"
)

// DType names the element type of a tensor, spelled as in the checkpoint manifest.
type DType string

// Element types the project's models use.
const (
	Int64   DType = "int64"
	Float32 DType = "float32"
)

// Dynamic marks a dimension whose size is chosen at run time (a named axis such
// as "batch" in the manifest, -1 or a symbolic dimension in ONNX).
const Dynamic int64 = -1

// ErrUnavailable marks a failure of the environment rather than of a model: ONNX
// Runtime is not initialised (ONNXRUNTIME_LIB unset or its library unusable) or the
// binary has no cgo. A model that fails to load for this reason is not at fault.
var ErrUnavailable = errors.New("onnx: ONNX Runtime is unavailable")

// ErrNoCgo is returned by Init and Open in a binary built without cgo; it wraps
// ErrUnavailable.
var ErrNoCgo = fmt.Errorf("%w: built without cgo (CGO_ENABLED=0)", ErrUnavailable)

// ErrMismatch marks a model whose inputs or outputs differ from what the caller
// expects (Expect).
var ErrMismatch = errors.New("onnx model inputs or outputs do not match")

// IOInfo describes one input or output of a model.
type IOInfo struct {
	Name  string
	DType DType
	// Shape holds one entry per dimension; Dynamic (-1) for a dimension of any size.
	Shape []int64
}

// String renders the info as name:dtype[d0,d1], with "?" for a dynamic dimension.
func (io IOInfo) String() string {
	dims := make([]string, len(io.Shape))
	for i, d := range io.Shape {
		if d < 0 {
			dims[i] = "?"
		} else {
			dims[i] = fmt.Sprint(d)
		}
	}
	return fmt.Sprintf("%s:%s[%s]", io.Name, io.DType, strings.Join(dims, ","))
}

// Tensor is a named, Go-owned tensor: Int64 holds the data when DType is int64
// and Float32 when it is float32; the other slice is nil.
type Tensor struct {
	Name    string
	Shape   []int64
	Int64   []int64
	Float32 []float32
}

// DType reports the element type of t from which data slice is set.
func (t Tensor) DType() DType {
	if t.Float32 != nil {
		return Float32
	}
	return Int64
}

// Len is the number of elements the shape calls for.
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= int(d)
	}
	return n
}

// Options tune a Session.
type Options struct {
	// IntraOpThreads caps the threads one Run may use; 0 leaves ONNX Runtime's default
	// (one per core).
	IntraOpThreads int
	// CUDA asks for the CUDA execution provider; when the library or the machine
	// does not offer it the session falls back to the CPU (see Session.Provider).
	CUDA bool
}

// Expect checks that s has every input and output listed, with the same dtype,
// rank and, where both sides fix a dimension, the same size. Extra outputs of the
// model are allowed; all missing or mismatched entries are reported in one error.
func Expect(s *Session, inputs, outputs []IOInfo) error {
	var problems []string
	problems = append(problems, compare("input", s.Inputs(), inputs)...)
	problems = append(problems, compare("output", s.Outputs(), outputs)...)
	if len(s.Inputs()) != len(inputs) {
		problems = append(problems, fmt.Sprintf("model has %d inputs %v, want %d", len(s.Inputs()), s.Inputs(), len(inputs)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrMismatch, s.Path(), strings.Join(problems, "; "))
	}
	return nil
}

func compare(what string, have, want []IOInfo) []string {
	byName := make(map[string]IOInfo, len(have))
	for _, h := range have {
		byName[h.Name] = h
	}
	var problems []string
	for _, w := range want {
		h, ok := byName[w.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s %q missing (model has %v)", what, w.Name, have))
		case h.DType != w.DType:
			problems = append(problems, fmt.Sprintf("%s %q is %s, want %s", what, w.Name, h.DType, w.DType))
		case len(h.Shape) != len(w.Shape):
			problems = append(problems, fmt.Sprintf("%s %q has rank %d (%v), want %d (%v)", what, w.Name, len(h.Shape), h, len(w.Shape), w))
		default:
			for i := range w.Shape {
				if w.Shape[i] >= 0 && h.Shape[i] >= 0 && w.Shape[i] != h.Shape[i] {
					problems = append(problems, fmt.Sprintf("%s %q dimension %d is %d, want %d", what, w.Name, i, h.Shape[i], w.Shape[i]))
				}
			}
		}
	}
	return problems
}

//go:build cgo

package onnx

import (
	"errors"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrClosed is returned by Run on a closed session.
var ErrClosed = errors.New("onnx: session closed")

// Run feeds one tensor per model input (matched by name, any order) and returns
// the named outputs in the order asked for (all outputs when outputs is empty).
// Input data is used in place, not copied; the returned tensors are Go-owned.
func (s *Session) Run(inputs []Tensor, outputs []string) ([]Tensor, error) {
	if len(outputs) == 0 {
		outputs = names(s.outputs)
	}
	for _, name := range outputs {
		if _, ok := s.outIndex[name]; !ok {
			return nil, fmt.Errorf("onnx: %s has no output %q (outputs: %v)", s.path, name, s.outputs)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("%w: %s", ErrClosed, s.path)
	}
	in, err := s.inputValues(inputs)
	defer destroyAll(in)
	if err != nil {
		return nil, err
	}
	out := make([]ort.Value, len(s.outputs))
	err = s.ort.Run(in, out)
	defer destroyAll(out)
	if err != nil {
		return nil, fmt.Errorf("onnx: run %s: %w", s.path, err)
	}
	result := make([]Tensor, len(outputs))
	for i, name := range outputs {
		if result[i], err = toTensor(name, out[s.outIndex[name]]); err != nil {
			return nil, fmt.Errorf("onnx: run %s: %w", s.path, err)
		}
	}
	return result, nil
}

// inputValues builds ONNX tensors in the model's input order; the caller
// destroys the returned values even when an error is returned.
func (s *Session) inputValues(inputs []Tensor) ([]ort.Value, error) {
	if len(inputs) != len(s.inputs) {
		return nil, fmt.Errorf("onnx: %s takes %d inputs %v, got %d", s.path, len(s.inputs), s.inputs, len(inputs))
	}
	values := make([]ort.Value, len(s.inputs))
	for _, t := range inputs {
		i, ok := s.inIndex[t.Name]
		if !ok {
			return values, fmt.Errorf("onnx: %s has no input %q (inputs: %v)", s.path, t.Name, s.inputs)
		}
		if values[i] != nil {
			return values, fmt.Errorf("onnx: input %q given twice", t.Name)
		}
		v, err := newValue(s.inputs[i], t)
		if err != nil {
			return values, fmt.Errorf("onnx: %s: %w", s.path, err)
		}
		values[i] = v
	}
	return values, nil
}

func newValue(info IOInfo, t Tensor) (ort.Value, error) {
	if len(t.Shape) == 0 {
		return nil, fmt.Errorf("input %q: scalar (rank 0) inputs are not supported", t.Name)
	}
	if len(t.Shape) != len(info.Shape) {
		return nil, fmt.Errorf("input %q has rank %d, want %d (%v)", t.Name, len(t.Shape), len(info.Shape), info)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return nil, fmt.Errorf("input %q has a negative dimension in shape %v", t.Name, t.Shape)
		}
	}
	shape := ort.NewShape(t.Shape...)
	n := t.Len()
	switch info.DType {
	case Int64:
		if t.Float32 != nil || len(t.Int64) != n {
			return nil, fmt.Errorf("input %q wants %d int64 values for shape %v, got %d int64 and %d float32", t.Name, n, t.Shape, len(t.Int64), len(t.Float32))
		}
		if n == 0 {
			return ort.NewEmptyTensor[int64](shape)
		}
		return ort.NewTensor(shape, t.Int64)
	case Float32:
		if t.Int64 != nil || len(t.Float32) != n {
			return nil, fmt.Errorf("input %q wants %d float32 values for shape %v, got %d float32 and %d int64", t.Name, n, t.Shape, len(t.Float32), len(t.Int64))
		}
		if n == 0 {
			return ort.NewEmptyTensor[float32](shape)
		}
		return ort.NewTensor(shape, t.Float32)
	}
	return nil, fmt.Errorf("input %q: unsupported dtype %s", t.Name, info.DType)
}

func toTensor(name string, v ort.Value) (Tensor, error) {
	shape := []int64(v.GetShape().Clone())
	switch tv := v.(type) {
	case *ort.Tensor[float32]:
		return Tensor{Name: name, Shape: shape, Float32: tv.GetData()}, nil
	case *ort.Tensor[int64]:
		return Tensor{Name: name, Shape: shape, Int64: tv.GetData()}, nil
	}
	return Tensor{}, fmt.Errorf("output %q has unsupported type %T", name, v)
}

func destroyAll(values []ort.Value) {
	for _, v := range values {
		if v != nil {
			_ = v.Destroy()
		}
	}
}

package onnx

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// This file reads the inputs and outputs of an ONNX graph straight from the
// protobuf, so that Open builds one ONNX Runtime session instead of two (asking
// ONNX Runtime for them costs a throw-away session: about half the load time of
// a MiniLM classifier). Only the few fields needed are decoded:
//
//	ModelProto.graph = 7
//	GraphProto: initializer = 5, input = 11, output = 12, sparse_initializer = 15
//	TensorProto.name = 8; SparseTensorProto.values = 1 (a TensorProto)
//	ValueInfoProto: name = 1, type = 2
//	TypeProto.tensor_type = 1; TypeProto.Tensor: elem_type = 1, shape = 2
//	TensorShapeProto.dim = 1; Dimension: dim_value = 1, dim_param = 2
//
// Graph inputs that are initializers are not model inputs (as in ONNX Runtime).

// ONNX TensorProto.DataType values.
const (
	onnxFloat = 1
	onnxInt64 = 7
)

var errProto = errors.New("malformed ONNX protobuf")

// readGraphIO maps the file read-only and decodes its graph inputs and outputs.
func readGraphIO(path string) (inputs, outputs []IOInfo, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return nil, nil, fmt.Errorf("%w: empty file", errProto)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	defer syscall.Munmap(data)
	return parseGraphIO(data)
}

// parseGraphIO decodes the inputs and outputs of a serialised ModelProto.
func parseGraphIO(model []byte) (inputs, outputs []IOInfo, err error) {
	var graph []byte
	err = fields(model, func(num int, wire int, _ uint64, b []byte) error {
		if num == 7 && wire == 2 {
			graph = b
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if graph == nil {
		return nil, nil, fmt.Errorf("%w: no graph", errProto)
	}
	initializers := map[string]bool{}
	var rawIn, rawOut [][]byte
	err = fields(graph, func(num, wire int, _ uint64, b []byte) error {
		switch {
		case wire != 2:
		case num == 5:
			initializers[stringField(b, 8)] = true
		case num == 15:
			initializers[stringField(messageField(b, 1), 8)] = true
		case num == 11:
			rawIn = append(rawIn, b)
		case num == 12:
			rawOut = append(rawOut, b)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, b := range rawIn {
		info, err := valueInfo(b)
		if err != nil {
			return nil, nil, err
		}
		if !initializers[info.Name] {
			inputs = append(inputs, info)
		}
	}
	for _, b := range rawOut {
		info, err := valueInfo(b)
		if err != nil {
			return nil, nil, err
		}
		outputs = append(outputs, info)
	}
	return inputs, outputs, nil
}

func valueInfo(b []byte) (IOInfo, error) {
	info := IOInfo{Name: stringField(b, 1)}
	tensor := messageField(messageField(b, 2), 1)
	if tensor == nil {
		return info, fmt.Errorf("%q is not a tensor, only tensors are supported", info.Name)
	}
	var elem uint64
	var shape []byte
	hasShape := false
	err := fields(tensor, func(num, wire int, v uint64, b []byte) error {
		switch {
		case num == 1 && wire == 0:
			elem = v
		case num == 2 && wire == 2:
			shape, hasShape = b, true
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	switch elem {
	case onnxFloat:
		info.DType = Float32
	case onnxInt64:
		info.DType = Int64
	default:
		return info, fmt.Errorf("%q: element type %d is not supported (want int64 or float32)", info.Name, elem)
	}
	info.Shape = []int64{}
	if !hasShape {
		return info, nil
	}
	err = fields(shape, func(num, wire int, _ uint64, dim []byte) error {
		if num != 1 || wire != 2 {
			return nil
		}
		size := Dynamic
		err := fields(dim, func(n, w int, v uint64, _ []byte) error {
			if n == 1 && w == 0 {
				size = int64(v)
			}
			return nil
		})
		info.Shape = append(info.Shape, size)
		return err
	})
	return info, err
}

func messageField(b []byte, want int) []byte {
	var out []byte
	_ = fields(b, func(num, wire int, _ uint64, v []byte) error {
		if num == want && wire == 2 {
			out = v
		}
		return nil
	})
	return out
}

func stringField(b []byte, want int) string { return string(messageField(b, want)) }

// fields walks the top-level fields of a protobuf message, calling fn with the
// field number, wire type, varint value (wire 0) or payload (wire 2).
func fields(b []byte, fn func(num, wire int, v uint64, payload []byte) error) error {
	for len(b) > 0 {
		key, n := uvarint(b)
		if n <= 0 {
			return errProto
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		var v uint64
		var payload []byte
		switch wire {
		case 0:
			v, n = uvarint(b)
			if n <= 0 {
				return errProto
			}
			b = b[n:]
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(b) < size {
				return errProto
			}
			b = b[size:]
		case 2:
			l, n := uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errProto
			}
			payload, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("%w: wire type %d", errProto, wire)
		}
		if err := fn(num, wire, v, payload); err != nil {
			return err
		}
	}
	return nil
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

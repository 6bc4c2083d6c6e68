package checkpoint

// tensorLike is any tensor type with Tensor's fields, such as onnx.Tensor.
type tensorLike interface {
	~struct {
		Name    string
		Shape   []int64
		Int64   []int64
		Float32 []float32
	}
}

// RunAs adapts run, a function over another tensor type with Tensor's fields
// (onnx.Session.Run), to checkpoint tensors; it is how a Runner is written over
// ONNX sessions without this package importing them.
func RunAs[T tensorLike](run func([]T, []string) ([]T, error), inputs []Tensor, outputs []string) ([]Tensor, error) {
	in := make([]T, len(inputs))
	for i, t := range inputs {
		in[i] = T(t)
	}
	out, err := run(in, outputs)
	if err != nil {
		return nil, err
	}
	res := make([]Tensor, len(out))
	for i, t := range out {
		res[i] = Tensor(t)
	}
	return res, nil
}

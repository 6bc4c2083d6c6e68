//go:build cgo

package onnx

import (
	"errors"
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var env struct {
	mu   sync.Mutex
	path string
}

// Init creates the process's ONNX Runtime environment from the shared library at
// libraryPath. Calling it again with the same path is a no-op; another path is an
// error, since one process holds one environment.
func Init(libraryPath string) error {
	if libraryPath == "" {
		return fmt.Errorf("%w: no library path (set ONNXRUNTIME_LIB, e.g. to the output of scripts/onnxruntime.sh)", ErrUnavailable)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.path != "" {
		if env.path == libraryPath {
			return nil
		}
		return fmt.Errorf("onnx: environment already initialised from %s, cannot switch to %s", env.path, libraryPath)
	}
	ort.SetSharedLibraryPath(libraryPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: initialise from %s: %w", ErrUnavailable, libraryPath, err)
	}
	env.path = libraryPath
	return nil
}

// Version is the version of the ONNX Runtime library that Init loaded, as the
// library reports it (for example "1.32.0").
func Version() (string, error) {
	if !initialised() {
		return "", errors.New("onnx: version: environment not initialised (call onnx.Init first)")
	}
	return ort.GetVersion(), nil
}

func initialised() bool {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.path != ""
}

// Ready reports whether models can be opened: nil once Init has succeeded, else
// an error wrapping ErrUnavailable.
func Ready() error {
	if !initialised() {
		return fmt.Errorf("%w: not initialised (set ONNXRUNTIME_LIB, e.g. to the output of scripts/onnxruntime.sh)", ErrUnavailable)
	}
	return nil
}

// Session is one loaded model. Run may be called from many goroutines at once;
// Close waits for runs in flight and makes later runs fail.
type Session struct {
	path     string
	provider string
	inputs   []IOInfo
	outputs  []IOInfo
	inIndex  map[string]int
	outIndex map[string]int

	mu     sync.RWMutex // Run holds it for reading, Close for writing
	closed bool
	ort    *ort.DynamicAdvancedSession
}

// Open loads the model at path, reading its inputs and outputs from the file.
func Open(path string, opts Options) (*Session, error) {
	if !initialised() {
		return nil, fmt.Errorf("%w: open %s: environment not initialised (call onnx.Init first)", ErrUnavailable, path)
	}
	s := &Session{path: path, inIndex: map[string]int{}, outIndex: map[string]int{}}
	var err error
	s.inputs, s.outputs, err = graphIO(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	for i, in := range s.inputs {
		s.inIndex[in.Name] = i
	}
	for i, out := range s.outputs {
		s.outIndex[out.Name] = i
	}
	so, provider, err := sessionOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("onnx: session options for %s: %w", path, err)
	}
	defer so.Destroy()
	s.provider = provider
	s.ort, err = ort.NewDynamicAdvancedSession(path, names(s.inputs), names(s.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("onnx: load %s: %w", path, err)
	}
	return s, nil
}

// graphIO reads the model's inputs and outputs from the file; a file the small
// protobuf reader cannot follow is handed to ONNX Runtime instead.
func graphIO(path string) ([]IOInfo, []IOInfo, error) {
	return graphIOFrom(path, false)
}

// graphIOFrom asks ONNX Runtime directly when runtime is set (the benchmark's
// baseline).
func graphIOFrom(path string, runtime bool) ([]IOInfo, []IOInfo, error) {
	if !runtime {
		in, out, err := readGraphIO(path)
		if err == nil || !errors.Is(err, errProto) {
			return in, out, err
		}
	}
	inInfo, outInfo, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read inputs/outputs: %w", err)
	}
	in, err := convertInfo(inInfo)
	if err != nil {
		return nil, nil, err
	}
	out, err := convertInfo(outInfo)
	return in, out, err
}

func sessionOptions(opts Options) (*ort.SessionOptions, string, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, "", err
	}
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			so.Destroy()
			return nil, "", err
		}
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		so.Destroy()
		return nil, "", err
	}
	provider := "cpu"
	if opts.CUDA && appendCUDA(so) == nil {
		provider = "cuda"
	}
	return so, provider, nil
}

// appendCUDA adds the CUDA execution provider; an error means the library or the
// machine lacks it and the session stays on the CPU.
func appendCUDA(so *ort.SessionOptions) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer cuda.Destroy()
	return so.AppendExecutionProviderCUDA(cuda)
}

func convertInfo(infos []ort.InputOutputInfo) ([]IOInfo, error) {
	out := make([]IOInfo, len(infos))
	for i, info := range infos {
		if info.OrtValueType != ort.ONNXTypeTensor {
			return nil, fmt.Errorf("%q is a %s, only tensors are supported", info.Name, info.OrtValueType)
		}
		dt, err := fromORT(info.DataType)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", info.Name, err)
		}
		shape := make([]int64, len(info.Dimensions))
		for j, d := range info.Dimensions {
			shape[j] = max(d, Dynamic) // symbolic dimensions come back as -1 already
		}
		out[i] = IOInfo{Name: info.Name, DType: dt, Shape: shape}
	}
	return out, nil
}

func fromORT(t ort.TensorElementDataType) (DType, error) {
	switch t {
	case ort.TensorElementDataTypeInt64:
		return Int64, nil
	case ort.TensorElementDataTypeFloat:
		return Float32, nil
	}
	return "", fmt.Errorf("element type %s is not supported (want int64 or float32)", t)
}

func names(infos []IOInfo) []string {
	n := make([]string, len(infos))
	for i, info := range infos {
		n[i] = info.Name
	}
	return n
}

// Path is the file the session was loaded from.
func (s *Session) Path() string { return s.path }

// Provider is the execution provider in use: "cuda" or "cpu".
func (s *Session) Provider() string { return s.provider }

// Inputs lists the model's inputs in graph order.
func (s *Session) Inputs() []IOInfo { return s.inputs }

// Outputs lists the model's outputs in graph order.
func (s *Session) Outputs() []IOInfo { return s.outputs }

// Close releases the model after runs in flight have finished. Closing twice is
// a no-op.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.ort.Destroy(); err != nil {
		return fmt.Errorf("onnx: close %s: %w", s.path, err)
	}
	return nil
}

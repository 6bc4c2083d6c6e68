//go:build !cgo

package onnx

import "errors"

// ErrClosed is returned by Run on a closed session.
var ErrClosed = errors.New("onnx: session closed")

// Init fails: this binary was built without cgo.
func Init(libraryPath string) error { return ErrNoCgo }

// Ready fails: this binary was built without cgo.
func Ready() error { return ErrNoCgo }

// Version fails: this binary was built without cgo.
func Version() (string, error) { return "", ErrNoCgo }

// Session is one loaded model; without cgo none can be opened.
type Session struct{}

// Open fails: this binary was built without cgo.
func Open(path string, opts Options) (*Session, error) { return nil, ErrNoCgo }

// Path is the file the session was loaded from.
func (s *Session) Path() string { return "" }

// Provider is the execution provider in use.
func (s *Session) Provider() string { return "" }

// Inputs lists the model's inputs.
func (s *Session) Inputs() []IOInfo { return nil }

// Outputs lists the model's outputs.
func (s *Session) Outputs() []IOInfo { return nil }

// Run fails: this binary was built without cgo.
func (s *Session) Run(inputs []Tensor, outputs []string) ([]Tensor, error) { return nil, ErrNoCgo }

// Close does nothing.
func (s *Session) Close() error { return nil }

// Package onnx runs ONNX models with ONNX Runtime. It is the only package of the
// project that imports onnxruntime_go and needs cgo; built with CGO_ENABLED=0 it
// compiles to a stub whose Init and Open return ErrNoCgo, so that everything else
// builds and tests without a C toolchain.
//
// One ONNX Runtime environment serves the whole process: call Init once with the
// path of libonnxruntime.so.1 (env ONNXRUNTIME_LIB; /opt/lib/libonnxruntime.so.1 on
// Lambda). A Session is safe for concurrent Run calls; every tensor that Run
// creates, inputs and outputs alike, is destroyed before Run returns, so callers
// handle only Go slices.
package onnx

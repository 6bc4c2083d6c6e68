// Package checkpoint reads the checkpoint contract of docs/checkpoint.md: the
// manifest of one model version (Parse validates it, Verify checks a file against
// its sha256 and size), a verified local directory of one version (Dir), and
// parity.json, whose fixed inputs and reference outputs prove that the ONNX files
// compute what training computed (RunParity).
//
// The package is pure Go: it does not import the ONNX runtime. RunParity runs the
// models through the small Runner interface, which the caller implements (the
// reload package adapts ONNX sessions to it).
package checkpoint

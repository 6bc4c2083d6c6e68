// Package schema holds the JSON Schemas (draft 2020-12) of the checkpoint contract
// between training (Python) and serving (Go): manifest.json, parity.json and the
// active pointer. The .json files next to this one are the single definition; the
// Python package reads them from here (mlbundle_training.contract.validate) and Go
// embeds them, so both sides check the same document. They live in the training
// package because the training image is built from training/ alone and validates
// every manifest it writes.
package schema

import _ "embed"

// Manifest is manifest.schema.json.
//
//go:embed manifest.schema.json
var Manifest []byte

// Parity is parity.schema.json.
//
//go:embed parity.schema.json
var Parity []byte

// Pointer is pointer.schema.json (the ACTIVE file and the pointer table item).
//
//go:embed pointer.schema.json
var Pointer []byte

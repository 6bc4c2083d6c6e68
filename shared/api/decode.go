package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DecodeJSON decodes the body of r into v strictly: the body must be one JSON value
// of at most maxBytes bytes, valid UTF-8, with no unknown fields, no values of the
// wrong type and nothing after the value. Failures are *Error: 413 for size, 400
// otherwise, each with a message naming the problem (and the field, when known).
func DecodeJSON(r *Request, maxBytes int, v any) error {
	body := r.Body
	if maxBytes > 0 && len(body) > maxBytes {
		return TooLarge(fmt.Sprintf("request body is %d bytes; the limit is %d", len(body), maxBytes))
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Invalid("request body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return Invalid("request body is not valid UTF-8")
	}
	if bytes.Equal(trimmed, []byte("null")) {
		return Invalid("request body must be a JSON object, not null")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Invalid("unexpected data after the JSON value")
	}
	return nil
}

func decodeError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return Invalidf("malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("malformed JSON: unexpected end of input")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Invalidf("request body must be %s, not a JSON %s", describeType(typ.Type.Kind().String()), typ.Value)
		}
		return Invalidf("field %q must be %s, not a JSON %s", typ.Field, describeType(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Invalidf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return Invalid("malformed JSON")
	}
}

func describeType(kind string) string {
	switch kind {
	case "struct", "map":
		return "a JSON object"
	case "slice", "array":
		return "a JSON array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "float32", "float64":
		return "a number"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	default:
		return "a " + kind
	}
}

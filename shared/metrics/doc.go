// Package metrics writes CloudWatch Embedded Metric Format (EMF) records: one JSON
// line per metric on the function's log stream, which CloudWatch turns into metrics
// in the "mlbundle" namespace with the function name as dimension. No SDK call, no
// global state: an Emitter is created in main and passed to what needs it.
package metrics

// Package reload promotes a new checkpoint only after it has proved itself. It
// handles S3 ObjectCreated events for <prefix><kind>/<version>/manifest.json,
// delivered directly by S3 or wrapped in SQS messages: the version is downloaded
// and every file checked against the manifest's sha256 and size, then the kind's
// Verify (Kinds: ncf.Kind, classify.Kind) loads it exactly as serving does and
// runs parity.json against the loaded model, and only then is the active pointer
// moved, with a conditional write so that an older version never replaces a newer
// loadable one (docs/checkpoint.md "One contract for serving and reload").
//
// A rejected artifact is logged (slog, JSON) and counted with a CloudWatch EMF
// line (shared/metrics: ReloadRejected, with kind, version and reason); the
// pointer does not move, so the serving functions keep the old model. Other keys
// and S3 test events are ignored. Transient failures and faults of the
// environment (S3 or DynamoDB unavailable, ONNX Runtime not initialised) are
// returned so that Lambda, or SQS through partial batch responses, retries the
// record.
package reload

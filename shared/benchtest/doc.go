// Package benchtest is the Go side of the benchmark suite (docs/ML_BENCHMARKS.md):
//
//   - fixtures: the trained checkpoints named in bench/models.json, read from the
//     local store (models/, or BENCH_MODELS_DIR / MODELS_DIR) or from S3 when
//     MODELS_BUCKET and AWS_ENDPOINT_URL are set; a benchmark whose model is
//     missing skips with a message naming the command that makes it, and
//     Available reports which models are there;
//   - thresholds and results: Check records one measured number into
//     $BENCH_RESULTS (JSON lines the report is generated from) and fails the
//     benchmark when it is worse than its threshold in bench/thresholds.json.
//
// The Python side (bench/mlbench/fixtures.py) reads the same two files.
package benchtest

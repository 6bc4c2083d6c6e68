// Package classify labels texts with a classifier checkpoint: the WordPiece
// tokenizer of package tokenizer, the fine-tuned MiniLM encoder run by ONNX
// Runtime (package onnx), a sigmoid per label and the manifest's per-label
// decision thresholds. It also serves POST /v1/classify.
//
// Selection: a label is returned when its score (the sigmoid of its logit)
// reaches its threshold, the manifest's per-label one or the caller's single
// "threshold" override; returned labels are sorted by score, highest first,
// and "top_k" keeps at most that many. A caller who wants a plain ranking asks
// for threshold 0 and a top_k.
//
// Batches are tokenised together, sorted by length and cut into runs of at
// most Options.MaxBatch texts, each padded only to its own longest text
// (dynamic padding), so a short text never pays for a long neighbour.
package classify

// Package ivf reads and probes the candidate-retrieval index of an ncf checkpoint
// (docs/checkpoint.md "Retrieval index"): an inverted file of item retrieval vectors cut
// into k-means lists, with one query vector per user. A probe scores the lists'
// centroids against the user's query, scans the best lists with a float32 dot product
// and keeps the best-scoring items as candidates for the model to re-rank
// (docs/recommend.md "Two-stage retrieval").
package ivf

// Package ncf serves a Neural Collaborative Filtering checkpoint (kind "ncf" of
// docs/checkpoint.md): the user and item id maps, the popular-items list, the item
// vectors for item-to-item similarity, and two ONNX graphs: model.onnx scores
// (user, item) pairs and score_all.onnx scores every item for one user with the
// user-independent item side precomputed at export.
//
// Scores are logits; callers apply the sigmoid. A Model is safe for concurrent use.
package ncf

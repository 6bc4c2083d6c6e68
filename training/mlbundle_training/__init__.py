"""mlbundle training: data preparation, NCF and classifier training, ONNX checkpoints.

One module per stage, importable without side effects:

- ``checkpoint``: manifest/parity writers for the checkpoint contract (docs/checkpoint.md)
- ``metrics``: HR@K, NDCG@K, precision/recall/F1 as pure functions
- ``interactions``/``dynamo``/``synthetic``/``splits``: interaction loaders (JSON, JSONL,
  MovieLens, DynamoDB), the synthetic generator, train/validation splits
- ``ncf_model``/``negatives``/``train_ncf``/``evaluate_ncf``/``export_ncf``: the NCF recommender
- ``classification_data``/``augment``/``reuters``/``train_classifier``/``export_classifier``:
  the taxonomy classifier
- ``publish``: copy a checkpoint to a local store or S3, manifest last
- ``cli``/``entrypoint``/``bench``: command line, container entry point, benchmarks
"""

__version__ = "0.1.0"

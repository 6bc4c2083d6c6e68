"""mlbundle training: data preparation, NCF and classifier training, ONNX checkpoints.

One module per stage, importable without side effects:

- ``checkpoint``: manifest/parity writers for the checkpoint contract (docs/checkpoint.md)
- ``metrics``: HR@K, NDCG@K, precision/recall/F1 as pure functions
- ``interactions``/``synthetic``: interaction loaders, converters and the generator
- ``ncf_model``/``negatives``/``train_ncf``/``export_ncf``: the NCF recommender
- ``publish``: copy a checkpoint to a local store or S3, manifest last
- ``cli``/``entrypoint``: command line and container entry points
"""

__version__ = "0.1.0"

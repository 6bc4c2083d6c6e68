"""mlbundle training: data preparation, NCF and classifier training, ONNX checkpoints.

Sub-packages follow the architecture, each importable without side effects:

- ``contract``: the checkpoint contract with Go serving (manifest, parity, publish)
- ``data``: interaction and classification data (loaders, synthetic data, splits)
- ``ncf``: the NCF recommender (model, training, evaluation, export)
- ``classifier``: the taxonomy classifier (model, training, export, fixtures)
- ``bench``: benchmarks (``python -m mlbundle_training.bench {ncf,classifier}``)

Top-level modules: ``cli`` (command line), ``entrypoint`` (container job), ``metrics``
(HR@K, NDCG@K, precision/recall/F1 as pure functions), ``aws`` (boto3 clients), ``errors``.
Dependencies point one way (tests/test_layout.py): ``cli``/``entrypoint``/``bench`` ->
``ncf``/``classifier`` -> ``data`` -> ``contract`` -> ``errors``/``aws``.
"""

__version__ = "0.1.0"

"""The taxonomy classifier: MiniLM encoder with a multi-label head.

- ``model``/``batches``/``loop``: encoder and head, batching and thresholds, the training loop
- ``train``: ``train-classifier`` (train, then export); ``export``: the checkpoint directory
- ``tokenizer_cases``: tokenizer settings and the cases the Go tokenizer must reproduce
- ``fixtures``: the small committed checkpoints the Go tests read
"""

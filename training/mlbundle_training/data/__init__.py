"""Training data: what the models learn from, independent of any model.

- ``interactions``: interaction records, validation, JSON/JSONL/MovieLens loaders, writers
- ``dynamo``: the DynamoDB interactions table scan; ``sources``: one URI picks the loader
- ``synthetic``/``splits``: generated interactions, train/validation splits
- ``classification``/``classification_sample``/``reuters``/``augment``: labelled texts for
  the classifier, the sample taxonomy, the Reuters-21578 converter, text augmentation
"""

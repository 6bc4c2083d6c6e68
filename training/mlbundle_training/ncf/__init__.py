"""The NCF recommender: model, training step, negatives, evaluation, ONNX export.

- ``model``: GMF/MLP/NeuMF and the score-all graph; ``packed``: the fused CPU training step
- ``negatives``: negative sampling; ``train``: the training loop and ``train-ncf``'s run
- ``evaluate``: HR/NDCG against sampled negatives and full ranking, popularity baseline
- ``export``: the checkpoint directory; ``synth_checkpoint``: large synthetic checkpoints
"""

"""Writes the tiny ONNX models that the Go tests of shared/onnx (and of the packages that
load checkpoints) run. Each model computes something simple enough to check by hand.

    V=$(scripts/venv.sh); $V/bin/python shared/onnx/testdata/make_models.py

pair.onnx     user int64 [batch], item int64 [batch] -> logit float32 [batch]
              logit = 0.5 * user + item           (same io as an ncf model.onnx)
score_all.onnx user int64 [1] -> logits float32 [4]
              logits = user + [0, 1, 2, 3]        (same io as an ncf score_all.onnx)
text.onnx     input_ids, attention_mask, token_type_ids int64 [batch, sequence]
              -> logits float32 [batch, 3]
              logits = sum(input_ids * attention_mask, axis=1) * [1, -1, 0.5] + sum(token_type_ids)
                                                  (same io as a classifier model.onnx)
wrong_io.onnx ids int64 [batch] -> out int32 [batch]   (io that nothing expects)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_operatorsetid("", 17)]


def save(graph, name):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="mlbundle-testdata")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def pair():
    nodes = [
        helper.make_node("Cast", ["user"], ["uf"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["item"], ["itf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["uf", "half"], ["uh"]),
        helper.make_node("Add", ["uh", "itf"], ["logit"]),
    ]
    g = helper.make_graph(
        nodes, "pair",
        [helper.make_tensor_value_info("user", TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info("item", TensorProto.INT64, ["batch"])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch"])],
        [numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half")])
    save(g, "pair.onnx")


def score_all():
    nodes = [
        helper.make_node("Cast", ["user"], ["uf"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["uf", "offsets"], ["logits"]),
    ]
    g = helper.make_graph(
        nodes, "score_all",
        [helper.make_tensor_value_info("user", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [4])],
        [numpy_helper.from_array(np.arange(4, dtype=np.float32), "offsets")])
    save(g, "score_all.onnx")


def text():
    seq = ["batch", "sequence"]
    nodes = [
        helper.make_node("Mul", ["input_ids", "attention_mask"], ["masked"]),
        helper.make_node("Cast", ["masked"], ["mf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["mf", "axis1"], ["s"], keepdims=1),
        helper.make_node("Mul", ["s", "weights"], ["w"]),
        helper.make_node("Cast", ["token_type_ids"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["tf"], ["ts"], keepdims=0),
        helper.make_node("Add", ["w", "ts"], ["logits"]),
    ]
    g = helper.make_graph(
        nodes, "text",
        [helper.make_tensor_value_info(n, TensorProto.INT64, seq)
         for n in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
         numpy_helper.from_array(np.array([[1.0, -1.0, 0.5]], dtype=np.float32), "weights")])
    save(g, "text.onnx")


def wrong_io():
    g = helper.make_graph(
        [helper.make_node("Cast", ["ids"], ["out"], to=TensorProto.INT32)], "wrong_io",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch"])],
        [helper.make_tensor_value_info("out", TensorProto.INT32, ["batch"])])
    save(g, "wrong_io.onnx")


if __name__ == "__main__":
    pair()
    score_all()
    text()
    wrong_io()

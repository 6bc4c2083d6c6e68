"""Classifier quality on the held-back Reuters test part, beside a TF-IDF + linear peer.

The model is the benchmark checkpoint ``classifier-reuters`` (``scripts/bench.sh models
classifier`` trains it on the Reuters TRAIN part minus the held-back test part; its
thresholds were tuned on its own validation share of the training part). The test
articles are scored through ONNX Runtime with the checkpoint's fp32 and int8 graphs and
its per-label thresholds, tokenized by the Hugging Face fast tokenizer on its vocab.txt:

- micro/macro F1, micro precision and recall (int8, what serving runs by default; fp32 too);
- label coverage: share of the codes present in the test part that the model gets right
  at least once;
- fp32/int8 agreement: share of articles whose label sets are identical.

Peer, same split: TF-IDF (1-2 grams) + one-vs-rest LinearSVC (scikit-learn), C chosen on
a seeded validation share of the training part by micro-F1, refit on the whole training part.

It also writes the Python side of the Go parity benchmark (``tokens.jsonl``: token ids and
fp32/int8 logits of test articles) into ``$BENCH_RESULTS``. In fast mode the committed
fixture is scored on testdata/classification/sample.json.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import onnxruntime as ort
from transformers import BertTokenizerFast

from mlbundle_training.metrics import precision_recall_f1

from . import fixtures
from .data import cache_root

PARITY_TEXTS = 200


def load_parts() -> tuple[dict, dict]:
    if fixtures.mode() == "fast":
        sample = json.loads((fixtures.ROOT / "testdata" / "classification" / "sample.json").read_text())
        return sample, sample
    d = cache_root()
    if not (d / "reuters-test.json").is_file():
        raise fixtures.Missing(f"{d}/reuters-test.json: make it with `scripts/bench.sh data`")
    return json.loads((d / "reuters-train.json").read_text()), json.loads((d / "reuters-test.json").read_text())


class Scorer:
    """The checkpoint's graphs, tokenizer and thresholds."""

    def __init__(self, d: Path):
        self.manifest = json.loads((d / "manifest.json").read_text())
        sec = self.manifest["classifier"]
        self.codes = [lab["code"] for lab in sec["labels"]]
        self.thresholds = np.asarray(sec["thresholds"], np.float32)
        self.max_length = sec["max_length"]
        self.tok = BertTokenizerFast(vocab=str(d / sec["tokenizer"]["vocab_file"]),
                                     do_lower_case=sec["tokenizer"].get("lowercase", True))
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(os.environ.get("BENCH_THREADS", "2"))
        self.sessions = {"fp32": ort.InferenceSession(str(d / "model.onnx"), so, providers=["CPUExecutionProvider"])}
        if sec.get("int8_file"):
            self.sessions["int8"] = ort.InferenceSession(str(d / sec["int8_file"]), so,
                                                         providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]):
        return self.tok(texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="np")

    def logits(self, variant: str, texts: list[str], batch: int = 32) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch):
            enc = self.encode(texts[i:i + batch])
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            out.append(self.sessions[variant].run(None, feed)[0])
        return np.concatenate(out)


def multi_hot(samples: list[dict], codes: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(codes)}
    y = np.zeros((len(samples), len(codes)), bool)
    for r, s in enumerate(samples):
        for c in s["taxonomy_codes"]:
            y[r, index[c]] = True
    return y


def scores(y: np.ndarray, pred: np.ndarray) -> dict:
    m = precision_recall_f1(y, pred)
    present = y.any(axis=0)
    hit = (y & pred).any(axis=0)
    m["label_coverage"] = float(hit[present].mean()) if present.any() else 0.0
    return m


def tfidf_peer(train: dict, test: dict, codes: list[str]) -> tuple[np.ndarray, dict]:
    """TF-IDF + one-vs-rest LinearSVC, C chosen on a validation share of the training part."""
    import warnings

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    warnings.filterwarnings("ignore")  # labels absent from a fold are predicted constant
    texts = [s["text"] for s in train["samples"]]
    y = multi_hot(train["samples"], codes)
    rng = np.random.default_rng(0)
    val = rng.random(len(texts)) < 0.15

    def fit(idx, c):
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        x = vec.fit_transform([texts[i] for i in idx])
        return vec, OneVsRestClassifier(LinearSVC(C=c)).fit(x, y[idx])

    t = time.perf_counter()
    best = (-1.0, 1.0)
    for c in (0.1, 0.5, 1.0, 2.0):
        vec, clf = fit(np.flatnonzero(~val), c)
        f1 = precision_recall_f1(y[val], clf.predict(vec.transform([texts[i] for i in np.flatnonzero(val)])) > 0)["micro_f1"]
        best = max(best, (f1, c))
    vec, clf = fit(np.arange(len(texts)), best[1])
    pred = clf.predict(vec.transform([s["text"] for s in test["samples"]])) > 0
    return pred, {"C": best[1], "validation_micro_f1": best[0], "seconds": time.perf_counter() - t}


def main() -> int:
    try:
        d = fixtures.checkpoint("classifier-reuters")
        train, test = load_parts()
    except fixtures.Missing as e:
        fixtures.skip("classifier quality", str(e))
        return 0
    sc = Scorer(d)
    codes = list(sc.codes) + sorted({c for s in test["samples"] for c in s["taxonomy_codes"]} - set(sc.codes))
    texts = [s["text"] for s in test["samples"]]
    y = multi_hot(test["samples"], codes)
    pad = np.zeros((len(texts), len(codes) - len(sc.codes)), bool)  # codes the model never saw: never predicted
    raw, probs, preds, results = {}, {}, {}, {}
    for variant in sc.sessions:
        t = time.perf_counter()
        logits = sc.logits(variant, texts)
        raw[variant], probs[variant] = logits, 1 / (1 + np.exp(-logits))
        preds[variant] = np.concatenate([probs[variant] >= sc.thresholds, pad], axis=1)
        results[variant] = scores(y, preds[variant])
        results[variant]["seconds"] = time.perf_counter() - t
    served = "int8" if "int8" in results else "fp32"
    r = results[served]
    extra = {"articles": len(texts), "labels_in_test": int(y.any(axis=0).sum()), "model_labels": len(sc.codes),
             "checkpoint": sc.manifest["version"], "served": served}
    for key in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "label_coverage"):
        fixtures.check(f"classify.{key}", r[key], "", extra)
    if "int8" in preds:
        agree = float(np.mean(np.all(preds["int8"] == preds["fp32"], axis=1)))
        fixtures.check("classify.fp32_int8_agreement", agree, "", {**extra, "fp32_micro_f1": results["fp32"]["micro_f1"]})
    rows = {f"mlbundle MiniLM {v}": {k: results[v][k] for k in ("micro_f1", "macro_f1", "micro_precision",
                                                                 "micro_recall", "label_coverage")} for v in results}
    if fixtures.mode() != "fast":
        pred, info = tfidf_peer(train, test, codes)
        peer = scores(y, pred)
        rows["TF-IDF + one-vs-rest LinearSVC"] = {**{k: peer[k] for k in rows[f"mlbundle MiniLM {served}"]}, **info}
        fixtures.check("classify.x_tfidf_micro_f1", r["micro_f1"] / max(peer["micro_f1"], 1e-9), "x",
                       {**extra, "tfidf_micro_f1": peer["micro_f1"]})
    freq = Counter(c for s in train["samples"] for c in s["taxonomy_codes"])
    per_label = [{"code": c, "train_support": freq.get(c, 0), "test_support": pl["support"], "f1": pl["f1"]}
                 for c, pl in zip(codes, r["per_label"]) if pl["support"] > 0]
    fixtures.note("classify.peers", {"rows": rows, "split": f"Reuters TRAIN part, {len(texts)} held-back articles"})
    fixtures.note("classify.per_label", {"labels": per_label})
    hist = d / "evaluation.json"
    if hist.is_file():
        fixtures.note("classify.history", {"history": json.loads(hist.read_text()).get("history", [])})
    write_parity(sc, texts[:PARITY_TEXTS])
    return fixtures.exit_code()


def write_parity(sc: Scorer, texts: list[str]) -> None:
    """Token ids and logits (one text per run, no padding) of the Python side, for the Go
    parity benchmark (BenchmarkParity in shared/classify)."""
    out = os.environ.get("BENCH_RESULTS")
    if not out:
        return
    with open(Path(out) / "tokens.jsonl", "w") as f:
        for text in texts:
            row = {"text": text, "ids": sc.tok(text, truncation=True, max_length=sc.max_length)["input_ids"]}
            for v in sc.sessions:
                row[f"logits_{v}"] = sc.logits(v, [text])[0].tolist()
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.exit(main())

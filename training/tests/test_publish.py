"""Publishing to a local store and to S3 (moto_server / LocalStack / AWS)."""

import json
import os
import uuid

import numpy as np
import pytest

from mlbundle_training.contract import checkpoint
from mlbundle_training.errors import TrainingError
from mlbundle_training.contract.publish import parse_s3, publish
from test_checkpoint import _close, _fill


@pytest.fixture
def version_dir(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path / "src", "ncf", "v1")
    _fill(d)
    _close(d, metrics={"hr@10": 0.5})
    return d


def test_publish_local_copies_and_verifies(version_dir, tmp_path):
    root = tmp_path / "models"
    dest = publish(version_dir, str(root))
    assert dest == str(root / "ncf" / "v1")
    assert checkpoint.verify_checkpoint(dest)["version"] == "v1"
    assert sorted(os.listdir(dest)) == ["items.json", "manifest.json", "model.onnx", "parity.json",
                                        "popular.json", "score_all.onnx", "users.json"]
    assert not (root / "ncf" / "ACTIVE").exists()
    assert publish(version_dir, str(root)) == dest  # same checkpoint again: a no-op
    # activation proves the version first: this one's graph is not an NCF graph
    with pytest.raises(TrainingError, match="cannot be served, not published"):
        publish(version_dir, str(root), activate=True)
    assert not (root / "ncf" / "ACTIVE").exists()


def test_publish_refuses_incomplete_or_conflicting(version_dir, tmp_path):
    with pytest.raises(TrainingError, match="does not exist"):
        publish(tmp_path / "missing", str(tmp_path / "m"))
    (version_dir / "manifest.json").unlink()
    with pytest.raises(TrainingError, match="no manifest.json, the checkpoint is incomplete"):
        publish(version_dir, str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_publish_refuses_a_different_checkpoint_with_the_same_version(version_dir, tmp_path):
    root = tmp_path / "models"
    publish(version_dir, str(root))
    other = checkpoint.prepare_version_dir(tmp_path / "src2", "ncf", "v1")
    _fill(other)
    _close(other, metrics={"hr@10": 0.9})
    with pytest.raises(TrainingError, match="different checkpoint"):
        publish(other, str(root))


def test_publish_refuses_tampered_source(version_dir, tmp_path):
    (version_dir / "users.json").write_text('["evil"]')
    with pytest.raises(TrainingError, match="does not match the manifest"):
        publish(version_dir, str(tmp_path / "m"))


def test_parse_s3():
    assert parse_s3("s3://b/models/") == ("b", "models/")
    assert parse_s3("s3://b") == ("b", "")
    with pytest.raises(TrainingError):
        parse_s3("s3:///x")


def test_publish_s3_manifest_last_and_read_back(version_dir, aws_endpoint, monkeypatch):
    import mlbundle_training.aws as aws

    s3 = aws.client("s3")
    bucket = f"mlbundle-test-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    puts = []
    real = aws.client

    def recording(service):
        c = real(service)
        c.meta.events.register("before-call.s3.PutObject",
                               lambda params, **_: puts.append(params["url_path"].rsplit("/", 1)[1]))
        return c

    monkeypatch.setattr(aws, "client", recording)
    dest = publish(version_dir, f"s3://{bucket}/models/")
    assert puts == ["items.json", "model.onnx", "parity.json", "popular.json", "score_all.onnx", "users.json",
                    "manifest.json"]
    assert dest == f"s3://{bucket}/models/ncf/v1/"
    objs = s3.list_objects_v2(Bucket=bucket, Prefix="models/ncf/v1/")["Contents"]
    keys = sorted(o["Key"].rsplit("/", 1)[1] for o in objs)
    assert keys == ["items.json", "manifest.json", "model.onnx", "parity.json", "popular.json", "score_all.onnx",
                    "users.json"]
    body = s3.get_object(Bucket=bucket, Key="models/ncf/v1/manifest.json")["Body"].read()
    assert body == (version_dir / "manifest.json").read_bytes()
    with pytest.raises(TrainingError, match="NoSuchBucket"):
        publish(version_dir, f"s3://{bucket}-missing/models/")


def test_publish_s3_unreachable_endpoint(version_dir, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with pytest.raises(TrainingError, match="cannot reach http://127.0.0.1:9"):
        publish(version_dir, "s3://bucket/models/")


def test_load_from_dynamodb(aws_endpoint):
    from mlbundle_training.aws import client
    from mlbundle_training.data.dynamo import load_dynamodb

    ddb = client("dynamodb")
    table = f"interactions-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])
    rows = [("u1", "i1", "2026-01-01T00:00:00.5Z", None), ("u1", "i2", "2026-01-02T00:00:00Z", "2"),
            ("u2", "i1", "2026-01-03T00:00:00Z", None), ("u2", "i3", "not-a-time", None)]
    for u, i, ts, w in rows:
        item = {"user_id": {"S": u}, "sk": {"S": f"{ts}#{i}"}, "item_id": {"S": i}, "ts": {"S": ts},
                "event": {"S": "view"}}
        if w:
            item["weight"] = {"N": w}
        if i == "i1":
            item["category"] = {"S": "news"}  # as the Go ingest function stores it
        ddb.put_item(TableName=table, Item=item)
    got = load_dynamodb(table)
    assert len(got) == 3 and got.skipped == 1
    assert sorted(got.user_ids) == ["u1", "u2"] and sorted(got.item_ids) == ["i1", "i2"]
    assert sorted(got.weights.tolist()) == [1, 1, 2] and np.isclose(got.timestamps.min(), 1767225600.5)
    assert got.item_categories == {"i1": "news"}
    with pytest.raises(TrainingError, match="ResourceNotFoundException"):
        load_dynamodb(table + "-missing")


def test_dynamodb_unreachable_endpoint(monkeypatch):
    from mlbundle_training.data.sources import load_interactions

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with pytest.raises(TrainingError, match=r"dynamodb://interactions: Could not connect to the endpoint URL"):
        load_interactions("dynamodb://interactions")

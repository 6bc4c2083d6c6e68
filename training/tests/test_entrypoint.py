"""Container entry point driven by environment variables (no Docker needed)."""

import pytest

from mlbundle_training.contract import checkpoint
from mlbundle_training.entrypoint import config_from_env, main
from mlbundle_training.errors import TrainingError


def test_config_reports_every_problem():
    with pytest.raises(TrainingError) as e:
        config_from_env({"JOB": "everything", "NCF_EPOCHS": "many"})
    msg = str(e.value)
    assert "JOB='everything'" in msg and "OUTPUT_URI is required" in msg and "NCF_EPOCHS='many'" in msg


def test_config_reads_hyperparameters():
    cfg = config_from_env({"JOB": "all", "OUTPUT_URI": "s3://b/models/", "DATA_URI": "synthetic",
                           "CLASSIFIER_DATA_URI": "/data/reuters", "NCF_LAYERS": "16,8",
                           "NCF_LR": "0.01", "CLASSIFIER_EPOCHS": "1", "SEED": "3"})
    assert cfg.ncf_data == "synthetic" and cfg.classifier_data == "/data/reuters"
    assert cfg.ncf == {"layers": [16, 8], "lr": 0.01, "seed": 3}
    assert cfg.classifier == {"epochs": 1, "seed": 3}


def test_ncf_job_publishes_to_local_store(tmp_path, capsys):
    env = {"JOB": "ncf", "DATA_URI": "synthetic", "OUTPUT_URI": str(tmp_path / "models"),
           "NCF_EPOCHS": "1", "NCF_LAYERS": "16,8", "NCF_FACTORS": "4", "NCF_VERSION": "env-v1"}
    assert main(env) == 0
    d = tmp_path / "models" / "ncf" / "env-v1"
    assert capsys.readouterr().out.strip() == str(d)
    hyper = checkpoint.verify_checkpoint(d)["hyperparameters"]
    assert hyper["layers"] == [16, 8] and hyper["best_epoch"] == 1 and hyper["samples_per_s"] > 0


def test_bad_job_exits_2(tmp_path, capsys):
    assert main({"JOB": "ncf", "OUTPUT_URI": str(tmp_path)}) == 2
    assert "DATA_URI is required" in capsys.readouterr().err
    assert main({"JOB": "ncf", "OUTPUT_URI": str(tmp_path), "DATA_URI": str(tmp_path / "x.json")}) == 2
    assert not list(tmp_path.glob("**/manifest.json"))


def test_s3_in_s3_out(tmp_path, aws_endpoint, capsys):
    import uuid

    from mlbundle_training.aws import client
    from mlbundle_training.data.interactions import write_jsonl
    from mlbundle_training.data.synthetic import create_synthetic_interactions

    s3 = client("s3")
    bucket = f"mlbundle-job-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = tmp_path / "interactions.jsonl"
    write_jsonl(create_synthetic_interactions(seed=3, users=60, items=50, count=1000), data)
    s3.upload_file(str(data), bucket, "data/interactions.jsonl")
    env = {"JOB": "ncf", "DATA_URI": f"s3://{bucket}/data/interactions.jsonl",
           "OUTPUT_URI": f"s3://{bucket}/models/", "NCF_EPOCHS": "1", "NCF_VERSION": "s3-v1",
           "NCF_LAYERS": "16,8", "NCF_FACTORS": "4"}
    assert main(env) == 0
    assert capsys.readouterr().out.strip() == f"s3://{bucket}/models/ncf/s3-v1/"
    body = s3.get_object(Bucket=bucket, Key="models/ncf/s3-v1/manifest.json")["Body"].read()
    import json

    manifest = json.loads(body)
    assert manifest["data"]["interactions"] == 1000
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="models/ncf/s3-v1/")["Contents"]}
    assert {f"models/ncf/s3-v1/{n}" for n in manifest["files"]} | {"models/ncf/s3-v1/manifest.json"} == keys
    env["DATA_URI"] = f"s3://{bucket}/data/missing.jsonl"
    env["NCF_VERSION"] = "s3-v2"
    assert main(env) == 2
    assert "cannot download" in capsys.readouterr().err


def test_dockerfile_refers_to_real_paths():
    import importlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    text = (root / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for src in line.split():
            assert (root / src).exists(), src
    module = re.search(r'ENTRYPOINT \["python", "-m", "([\w.]+)"\]', text).group(1)
    assert callable(importlib.import_module(module).main)


def test_unreachable_s3_endpoint_exits_2_without_manifest(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the staging folder lands here
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    env = {"JOB": "ncf", "DATA_URI": "s3://bucket/data/interactions.jsonl", "OUTPUT_URI": str(tmp_path / "models")}
    assert main(env) == 2
    assert "cannot download s3://bucket/data/interactions.jsonl" in capsys.readouterr().err
    env = {"JOB": "ncf", "DATA_URI": "synthetic", "OUTPUT_URI": "s3://bucket/models/", "NCF_EPOCHS": "1",
           "NCF_LAYERS": "16,8", "NCF_FACTORS": "4", "NCF_VERSION": "v1"}
    assert main(env) == 2
    assert "cannot reach http://127.0.0.1:9 to publish s3://bucket/models/ncf/v1" in capsys.readouterr().err
    assert not list(tmp_path.glob("**/manifest.json"))  # staging removed, nothing local

"""Container entry point driven by environment variables (no Docker needed)."""

import pytest

from mlbundle_training import checkpoint
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
    assert checkpoint.verify_checkpoint(d)["hyperparameters"]["layers"] == [16, 8]


def test_bad_job_exits_2(tmp_path, capsys):
    assert main({"JOB": "ncf", "OUTPUT_URI": str(tmp_path)}) == 2
    assert "DATA_URI is required" in capsys.readouterr().err
    assert main({"JOB": "ncf", "OUTPUT_URI": str(tmp_path), "DATA_URI": str(tmp_path / "x.json")}) == 2
    assert not list(tmp_path.glob("**/manifest.json"))

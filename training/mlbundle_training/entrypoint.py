"""Container entry point: runs a training job described by environment variables.

Required: ``JOB`` (``ncf`` | ``classifier`` | ``all``), ``OUTPUT_URI`` (``s3://bucket/models/``
or a local store root). Data: ``DATA_URI`` or, per job, ``NCF_DATA_URI`` /
``CLASSIFIER_DATA_URI`` - a local path, ``s3://bucket/key`` (a key ending in ``/`` is a
folder), ``dynamodb://<table>`` (NCF) or ``synthetic`` (NCF). Optional hyper-parameters:
``NCF_EPOCHS``, ``NCF_BATCH_SIZE``, ``NCF_LR``, ``NCF_VARIANT``, ``NCF_FACTORS``,
``NCF_LAYERS`` (comma-separated), ``NCF_NEGATIVES``, ``NCF_SPLIT``,
``NCF_SINGLE_INTERACTION`` (``error`` | ``train-only``), ``NCF_VERSION``,
``CLASSIFIER_EPOCHS``, ``CLASSIFIER_BATCH_SIZE``, ``CLASSIFIER_LR``, ``CLASSIFIER_MAX_LENGTH``,
``CLASSIFIER_VERSION``, ``SEED``, ``DEVICE``. Every problem in the configuration is reported at
once. Checkpoints are built in a staging folder and then published, manifest last.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import TrainingError

log = logging.getLogger("mlbundle_training.entrypoint")
JOBS = ("ncf", "classifier", "all")


@dataclass
class JobConfig:
    """The container job, parsed from the environment."""

    job: str
    output_uri: str
    ncf_data: str = ""
    classifier_data: str = ""
    ncf: dict[str, Any] = field(default_factory=dict)
    classifier: dict[str, Any] = field(default_factory=dict)


_NCF_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "NCF_EPOCHS": ("epochs", int), "NCF_BATCH_SIZE": ("batch_size", int),
    "NCF_LR": ("lr", float), "NCF_VARIANT": ("variant", str), "NCF_FACTORS": ("factors", int),
    "NCF_LAYERS": ("layers", lambda s: [int(x) for x in s.split(",")]),
    "NCF_NEGATIVES": ("negatives", int), "NCF_SPLIT": ("split", str),
    "NCF_SINGLE_INTERACTION": ("single_interaction", str),
    "NCF_VERSION": ("version", str), "SEED": ("seed", int), "DEVICE": ("device", str),
}
_CLS_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CLASSIFIER_EPOCHS": ("epochs", int), "CLASSIFIER_BATCH_SIZE": ("batch_size", int),
    "CLASSIFIER_LR": ("lr", float), "CLASSIFIER_MAX_LENGTH": ("max_length", int),
    "CLASSIFIER_VERSION": ("version", str), "SEED": ("seed", int), "DEVICE": ("device", str),
}


def _typed(env: Mapping[str, str], table: dict, problems: list[str]) -> dict[str, Any]:
    out = {}
    for var, (name, conv) in table.items():
        if env.get(var):
            try:
                out[name] = conv(env[var])
            except ValueError:
                problems.append(f"{var}={env[var]!r} is not a valid {getattr(conv, '__name__', 'list')}")
    return out


def config_from_env(env: Mapping[str, str]) -> JobConfig:
    """Parse and check the environment; raises TrainingError listing every problem."""
    problems: list[str] = []
    job = env.get("JOB", "")
    if job not in JOBS:
        problems.append(f"JOB={job!r}: want one of {', '.join(JOBS)}")
    out = env.get("OUTPUT_URI", "")
    if not out:
        problems.append("OUTPUT_URI is required (s3://bucket/models/ or a local directory)")
    cfg = JobConfig(job, out, env.get("NCF_DATA_URI") or env.get("DATA_URI", ""),
                    env.get("CLASSIFIER_DATA_URI") or env.get("DATA_URI", ""),
                    _typed(env, _NCF_VARS, problems), _typed(env, _CLS_VARS, problems))
    if job in ("ncf", "all") and not cfg.ncf_data:
        problems.append("NCF_DATA_URI or DATA_URI is required for the ncf job")
    if job in ("classifier", "all") and not cfg.classifier_data:
        problems.append("CLASSIFIER_DATA_URI or DATA_URI is required for the classifier job")
    if problems:
        raise TrainingError("configuration: " + "; ".join(problems))
    return cfg


def fetch(uri: str, workdir: Path) -> str:
    """Make ``uri`` readable locally: s3:// objects are downloaded, other URIs pass through."""
    if not uri.startswith("s3://"):
        return uri
    from botocore.exceptions import BotoCoreError, ClientError

    from .aws import client
    from .contract.publish import parse_s3

    bucket, key = parse_s3(uri)
    workdir.mkdir(parents=True, exist_ok=True)
    s3 = client("s3")
    try:
        if uri.endswith("/"):
            dest = workdir / "data"
            dest.mkdir(parents=True, exist_ok=True)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                for obj in page.get("Contents", []):
                    s3.download_file(bucket, obj["Key"], str(dest / Path(obj["Key"]).name))
            return str(dest)
        dest = workdir / Path(key.rstrip("/")).name
        s3.download_file(bucket, key.rstrip("/"), str(dest))
        return str(dest)
    except (ClientError, BotoCoreError) as e:
        raise TrainingError(f"cannot download {uri}: {e}") from e


def run_ncf(cfg: JobConfig, stage: Path) -> Path | None:
    """Train and export the NCF model into ``stage``; return the version directory (None
    on a torchrun rank other than 0)."""
    from .data.sources import load_interactions
    from .data.synthetic import create_synthetic_interactions
    from .itemtext.place import placer_for
    from .ncf.train import NCFConfig, run

    ncfg = NCFConfig(**{**cfg.ncf, "output_dir": str(stage), "progress": False})
    src = fetch(cfg.ncf_data, stage / "input")
    data = (create_synthetic_interactions(ncfg.seed) if src == "synthetic"
            else load_interactions(src))
    return run(ncfg, data, placer_for(ncfg.item_text_encoder, ncfg.item_text_max_length, ncfg.seed,
                                ncfg.item_text_shift))


def run_classifier(cfg: JobConfig, stage: Path) -> Path:
    """Train and export the classifier into ``stage``; return the version directory."""
    from .classifier.train import ClassifierConfig, run

    ccfg = ClassifierConfig(**{**cfg.classifier, "output_dir": str(stage),
                               "data": fetch(cfg.classifier_data, stage / "input")})
    return Path(run(ccfg))


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the job; 0 on success, 2 on a configuration/input problem, 1 on a bug."""
    from .contract.publish import publish

    env = os.environ if env is None else env
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        cfg = config_from_env(env)
        with tempfile.TemporaryDirectory(prefix="mlbundle-stage-") as tmp:
            stage = Path(tmp)
            jobs = ["ncf", "classifier"] if cfg.job == "all" else [cfg.job]
            for job in jobs:
                d = (run_ncf if job == "ncf" else run_classifier)(cfg, stage / job)
                if d is not None:
                    print(publish(d, cfg.output_uri))
    except TrainingError as e:
        print(f"entrypoint: error: {e}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the one place that turns a bug into exit status 1
        log.exception("entrypoint: unexpected failure")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

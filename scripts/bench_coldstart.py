"""Cold start and peak memory of the serving path, measured as a Lambda would see them.

For each case a checkpoint is uploaded to S3 (manifest last) on a LocalStack-compatible
endpoint, its active pointer is written to the DynamoDB models table, and a fresh
`mlbundle invoke <function> <event>` process is started RUNS times, each with an empty
download directory: the wall time of a process (start -> configuration -> S3 download ->
sha256 check -> ONNX session -> first answer printed) and its peak RSS are recorded.

    python scripts/bench_coldstart.py [--runs 5] [--binary .local/bin/mlbundle]

Needs boto3 (the training venv has it) and moto_server (started here on a free port when
AWS_ENDPOINT_URL is unset; $MOTO_SERVER, which scripts/bench.sh sets to the test-tools venv's). Cases, per function: recommend on the committed tiny checkpoint,
the MovieLens benchmark model and a synthetic 100K-item checkpoint (synth-checkpoint, cached);
classify on the Reuters benchmark model (int8, what serving fetches); models and ingest
(no model). Each is recorded and checked through bench/mlbench/fixtures.py.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from mlbench import fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUCKET, PREFIX = "mlbundle-coldstart", "models/"
TABLES = {"ACTIVE_TABLE": "cs-models", "INTERACTIONS_TABLE": "cs-interactions", "POPULARITY_TABLE": "cs-popularity"}


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_moto() -> tuple[str, subprocess.Popen]:
    port = free_port()
    proc = subprocess.Popen([os.environ.get("MOTO_SERVER", "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return url, proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("moto_server did not start")


def setup(endpoint: str):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1")
    s3, ddb = boto3.client("s3", **kw), boto3.client("dynamodb", **kw)
    if BUCKET not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=BUCKET)
    existing = ddb.list_tables()["TableNames"]
    specs = {
        "ACTIVE_TABLE": ([("kind", "HASH")], [("kind", "S")], None),
        "INTERACTIONS_TABLE": ([("user_id", "HASH"), ("sk", "RANGE")], [("user_id", "S"), ("sk", "S")], None),
        "POPULARITY_TABLE": ([("item_id", "HASH")], [("item_id", "S"), ("bucket", "S"), ("count", "N")],
                             [{"IndexName": "top", "KeySchema": [{"AttributeName": "bucket", "KeyType": "HASH"},
                                                                 {"AttributeName": "count", "KeyType": "RANGE"}],
                               "Projection": {"ProjectionType": "ALL"}}]),
    }
    for env, name in TABLES.items():
        if name in existing:
            continue
        keys, attrs, gsi = specs[env]
        args = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
                    AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in attrs])
        if gsi:
            args["GlobalSecondaryIndexes"] = gsi
        ddb.create_table(**args)
    return s3, ddb


def publish(s3, ddb, version_dir: Path) -> dict:
    manifest = json.loads((version_dir / "manifest.json").read_text())
    base = f"{PREFIX}{manifest['kind']}/{manifest['version']}/"
    for name in sorted(manifest["files"]) + ["manifest.json"]:
        s3.upload_file(str(version_dir / name), BUCKET, base + name)
    ddb.put_item(TableName=TABLES["ACTIVE_TABLE"], Item={
        "kind": {"S": manifest["kind"]}, "version": {"S": manifest["version"]},
        "created_at": {"S": manifest["created_at"]}})
    return manifest


def run_once(binary: str, function: str, event: Path, env: dict) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "TMPDIR": tmp, "INTERACTIONS_DB": os.path.join(tmp, "unused.db")}
        t0 = time.perf_counter()
        proc = subprocess.Popen([binary, "invoke", function, str(event)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"{function} {event.name}: exit status {status}")
    answer = json.loads(out)
    return wall * 1000, usage.ru_maxrss / 1024, answer


def synth_100k() -> Path:
    """The 100K-item random-weight checkpoint, cached where BenchmarkRecommend keeps it."""
    out = Path(os.environ.get("MLBUNDLE_CACHE", Path.home() / ".cache/mlbundle")) / "bench-ncf" / "items-100000"
    d = out / "ncf" / "synth-100000"
    if not (d / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "mlbundle_training.cli", "synth-checkpoint", "--items", "100000",
                        "--users", "5000", "--out", str(out)], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "training")}, stdout=subprocess.DEVNULL)
    return d


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="fresh processes per case")
    p.add_argument("--binary", default=str(ROOT / ".local/bin/mlbundle"), help="mlbundle binary")
    p.add_argument("--out", default=os.environ.get("BENCH_OUT", str(ROOT / ".local/bench")), help="work dir")
    ns = p.parse_args()
    subprocess.run(["go", "build", "-o", ns.binary, "./cmd/mlbundle"], check=True, cwd=ROOT)
    endpoint, moto = os.environ.get("AWS_ENDPOINT_URL"), None
    if not endpoint:
        endpoint, moto = start_moto()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    try:
        s3, ddb = setup(endpoint)
        ev = ROOT / "events"
        cases = [("recommend", "fixture", "ncf-fixture", "recommend-get.json"),
                 ("recommend", "ml100k", "ncf-ml100k", "recommend-get.json"),
                 ("recommend", "100K", None, "recommend-get.json"),
                 ("classify", "reuters_int8", "classifier-reuters", "classify-text.json"),
                 ("models", "list", "ncf-fixture", "models-list.json"),
                 ("ingest", "post", None, "ingest-post.json")]
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "MODELS_BUCKET": BUCKET, "MODELS_PREFIX": PREFIX,
               "LOG_LEVEL": "error", **TABLES}
        print(f"cold start: fresh `mlbundle invoke` processes, checkpoints in S3 at {endpoint}, {ns.runs} runs each")
        for fn, case, model, event in cases:
            version = None
            if fn in ("recommend", "classify", "models"):
                try:
                    vdir = synth_100k() if case == "100K" else fixtures.checkpoint(model)
                except fixtures.Missing as e:
                    fixtures.skip(f"coldstart.{fn}_{case}", str(e))
                    continue
                version = publish(s3, ddb, vdir)["version"]
            walls, rss = [], []
            for _ in range(ns.runs):
                wall, peak, answer = run_once(ns.binary, fn, ev / event, env)
                body = json.loads(answer.get("body") or "{}")
                if answer.get("statusCode", 0) // 100 != 2 or (fn != "models" and version and body.get("model_version") != version):
                    sys.exit(f"{fn} {case}: unexpected answer {answer}")
                walls.append(wall)
                rss.append(peak)
            extra = {"runs": ns.runs, "min_ms": min(walls), "max_ms": max(walls), "version": version}
            fixtures.check(f"coldstart.{fn}_{case}.p50_ms", statistics.median(walls), "ms", extra)
            fixtures.check(f"coldstart.{fn}_{case}.peak_rss_mb", max(rss), "MB", extra)
    finally:
        if moto:
            moto.terminate()
            moto.wait()
    return fixtures.exit_code()


if __name__ == "__main__":
    sys.exit(main())

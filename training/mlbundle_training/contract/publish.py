"""Publish a checkpoint directory to a local store or S3, manifest.json last, verified.

The source must be complete (a manifest that matches the schema and whose files all
match). Files are written in name order with manifest.json last, so a reader (or the S3
ObjectCreated trigger on ``*/manifest.json``) never sees a manifest before its files. Every
written object is read back and its sha256 compared with the manifest. Activation (local
stores) first proves that serving can load the version (:mod:`.proof`, the checks reload
runs), then moves the pointer under the shared rule (:mod:`.pointer`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from . import checkpoint as ckpt
from . import pointer, proof
from ..errors import TrainingError

log = logging.getLogger(__name__)


def publish(src: str | os.PathLike, to: str, activate: bool = False) -> str:
    """Publish ``src`` to ``to`` (``s3://bucket/prefix`` or a local store root).

    Returns the destination (URI or directory). ``activate`` (local stores only) first
    checks that serving can load the version (nothing is written when it cannot), then
    points ``<root>/<kind>/ACTIVE`` at it unless the active version is as new or newer
    (TrainingError after publishing: the version is in the store but not active).
    """
    manifest = ckpt.verify_checkpoint(src)
    if to.startswith("s3://"):
        if activate:
            raise TrainingError("--activate is for local stores; in AWS the reload function promotes")
        return _publish_s3(Path(src), manifest, to)
    if activate:
        try:
            proof.check_servable(src)
        except TrainingError as e:
            raise TrainingError(f"{src} cannot be served, not published: {e}") from e
    return _publish_local(Path(src), manifest, Path(to), activate)


def _names(manifest: dict[str, Any]) -> list[str]:
    return sorted(manifest["files"]) + [ckpt.MANIFEST]


def _publish_local(src: Path, manifest: dict[str, Any], root: Path, activate: bool) -> str:
    dest = root / manifest["kind"] / manifest["version"]
    if (dest / ckpt.MANIFEST).exists():
        if (dest / ckpt.MANIFEST).read_bytes() == (src / ckpt.MANIFEST).read_bytes():
            ckpt.verify_checkpoint(dest)
            log.info("%s already published", dest)
            if activate:
                _activate(root, manifest)
            return str(dest)
        raise TrainingError(f"{dest}: a different checkpoint with version {manifest['version']} "
                            "is already published")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for name in _names(manifest):
            tmp = dest / f".{name}.tmp"
            shutil.copyfile(src / name, tmp)
            if name != ckpt.MANIFEST and ckpt.file_digest(tmp) != manifest["files"][name]:
                raise TrainingError(f"{dest}/{name}: written copy does not match the manifest")
            os.replace(tmp, dest / name)
    except OSError as e:
        raise TrainingError(f"cannot write to {dest}: {e.strerror or e}") from e
    ckpt.verify_checkpoint(dest)
    if activate:
        _activate(root, manifest)
    return str(dest)


def _activate(root: Path, manifest: dict[str, Any]) -> None:
    """Point ``<root>/<kind>/ACTIVE`` at the published version under the pointer rule."""
    try:
        pointer.promote(root, manifest["kind"], manifest["version"], manifest["created_at"])
    except pointer.StaleError as e:
        raise TrainingError(f"published {root / manifest['kind'] / manifest['version']} but did not "
                            f"activate it: {e}") from e
    log.info("%s/ACTIVE -> %s", root / manifest["kind"], manifest["version"])


def parse_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix/") (prefix may be empty)."""
    rest = uri[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise TrainingError(f"{uri}: want s3://<bucket>/<prefix>")
    prefix = prefix.strip("/")
    return bucket, (prefix + "/") if prefix else ""


def _publish_s3(src: Path, manifest: dict[str, Any], uri: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    from ..aws import client

    bucket, prefix = parse_s3(uri)
    base = f"{prefix}{manifest['kind']}/{manifest['version']}/"
    s3 = client("s3")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or "the AWS S3 endpoint"
    try:
        for name in _names(manifest):
            key = base + name
            with open(src / name, "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f, ContentType=_content_type(name))
            want = ckpt.file_digest(src / name)["sha256"]
            got = _s3_sha256(s3, bucket, key)
            if got != want:
                raise TrainingError(f"s3://{bucket}/{key}: read-back sha256 {got[:12]} != {want[:12]}")
    except EndpointConnectionError as e:
        raise TrainingError(f"cannot reach {endpoint} to publish s3://{bucket}/{base}: {e}") from e
    except ClientError as e:
        err = e.response.get("Error", {})
        raise TrainingError(f"s3://{bucket}/{base}: {err.get('Code', 'error')}: "
                            f"{err.get('Message', e)}") from e
    except BotoCoreError as e:
        raise TrainingError(f"publishing to s3://{bucket}/{base} via {endpoint}: {e}") from e
    return f"s3://{bucket}/{base}"


def _s3_sha256(s3: Any, bucket: str, key: str) -> str:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    h = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def _content_type(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".jsonl"):
        return "application/x-ndjson"
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"

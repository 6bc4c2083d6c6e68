"""AWS clients for the training side (boto3, honours AWS_ENDPOINT_URL for moto/LocalStack)."""

from __future__ import annotations

import os
from typing import Any


def client(service: str) -> Any:
    """A boto3 client for ``service`` that uses AWS_ENDPOINT_URL when set."""
    import boto3
    from botocore.config import Config

    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                 read_timeout=30, s3={"addressing_style": "path"})
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client(service, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
                        region_name=region, config=cfg)

"""Shared pytest set-up: the package on sys.path, offline Hugging Face, small thread pools."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    """One torch thread: small models on a shared machine run fastest so."""
    import torch

    torch.set_num_threads(1)
    yield


@pytest.fixture
def aws_endpoint():
    """The S3/DynamoDB endpoint for tests (moto_server, LocalStack or AWS); skip when unset."""
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.skip("AWS_ENDPOINT_URL is not set (scripts/test.sh starts moto_server)")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])
    return url

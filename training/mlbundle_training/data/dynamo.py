"""Interactions from the DynamoDB interactions table (boto3, honours AWS_ENDPOINT_URL).

Table layout (shared with the Go ingest function): PK ``user_id`` (S), SK ``sk`` (S) =
``<RFC3339Nano UTC>#<item_id>``, attributes ``item_id`` (S), ``ts`` (S), ``event`` (S,
optional), ``weight`` (N, optional), ``category`` (S, optional: the item's category). Training reads the whole table with a paginated Scan.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..aws import client
from ..errors import TrainingError
from .interactions import Interactions, from_records


def _records(table: str, ddb: Any) -> Iterator[tuple[str, Any]]:
    n = 0
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page.get("Items", []):
            rec: dict[str, Any] = {}
            for key, attr in (("user_id", "user_id"), ("item_id", "item_id"),
                              ("timestamp", "ts"), ("event", "event"), ("category", "category")):
                if attr in item:
                    rec[key] = item[attr].get("S", item[attr])
            if "weight" in item:
                try:
                    rec["weight"] = float(item["weight"]["N"])
                except (KeyError, ValueError):
                    rec["weight"] = item["weight"]
            yield f"item {n} (user_id={rec.get('user_id')!r}, sk={item.get('sk', {}).get('S')!r})", rec
            n += 1


def load_dynamodb(table: str, ddb: Any = None) -> Interactions:
    """Scan the interactions table into Interactions (same validation as the file loaders)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not table:
        raise TrainingError("dynamodb:// URI needs a table name (dynamodb://<table>)")
    ddb = ddb or client("dynamodb")
    try:
        return from_records(_records(table, ddb), f"dynamodb://{table}")
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "error")
        raise TrainingError(f"dynamodb://{table}: {code}: {e.response.get('Error', {}).get('Message', e)}") from e
    except BotoCoreError as e:
        raise TrainingError(f"dynamodb://{table}: {e}") from e

"""Where interactions come from: one URI picks the loader.

Kept apart from :mod:`.interactions` (records and files) and :mod:`.dynamo` (the table scan),
which builds on it, so that neither imports the other.
"""

from __future__ import annotations

from .interactions import Interactions, load_json, load_movielens


def load_interactions(uri: str) -> Interactions:
    """Load from ``dynamodb://<table>``, a MovieLens ``*.data`` file, or JSON/JSONL."""
    if uri.startswith("dynamodb://"):
        from .dynamo import load_dynamodb  # boto3 only when needed

        return load_dynamodb(uri[len("dynamodb://"):])
    if uri.endswith(".data"):
        return load_movielens(uri)
    return load_json(uri)

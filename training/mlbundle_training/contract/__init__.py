"""The checkpoint contract shared with the Go serving side (docs/checkpoint.md).

- ``checkpoint``: manifest and parity writers, version names, verification of a directory
- ``publish``: copy a checkpoint to a local store or S3 (manifest last), optionally activate it
"""

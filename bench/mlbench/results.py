"""Reading one run's raw results ($BENCH_RESULTS): what the Go and Python benchmarks wrote."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Run:
    """Everything one benchmark run recorded; the last record of an id wins."""

    dir: Path
    results: dict[str, dict] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, dict] = field(default_factory=dict)
    skips: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, d: Path) -> "Run":
        run = cls(d)
        for side in ("go", "py"):
            for r in _lines(d / f"{side}-results.jsonl"):
                run.results[r["id"]] = {**r, "side": side}
            for s in _lines(d / f"{side}-series.jsonl"):
                run.series[s["id"]] = s["values"]
        run.rejudge()
        for n in _lines(d / "py-notes.jsonl"):
            run.notes[n["id"]] = n
        run.skips = _lines(d / "py-skips.jsonl") + go_skips(d)
        return run

    def rejudge(self) -> None:
        """Compare every result with the current bench/thresholds.json (the status a
        benchmark recorded was against the file as it was when it ran)."""
        from .fixtures import thresholds, verdict

        entries = thresholds()["thresholds"]
        for bench_id, r in self.results.items():
            entry = entries.get(bench_id)
            r["threshold"], r["status"] = entry, verdict(entry, r["value"], r["mode"])

    def value(self, bench_id: str) -> float | None:
        r = self.results.get(bench_id)
        return None if r is None else r["value"]

    def extra(self, bench_id: str) -> dict:
        r = self.results.get(bench_id)
        return (r or {}).get("extra") or {}

    def failures(self) -> list[dict]:
        return [r for r in self.results.values() if r["status"] == "fail"]


_SKIP = re.compile(r"^\s*--- SKIP: (\S+)")


def go_skips(d: Path) -> list[dict]:
    """Skipped Go benchmarks and their messages, from the go test logs of the run."""
    out = []
    for log in sorted(d.glob("go-*.txt")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            m = _SKIP.match(line)
            if m:
                after = lines[i + 1] if i + 1 < len(lines) else ""
                why = after if after.startswith("    ") else (lines[i - 1] if i else "")
                why = why.strip()
                out.append({"id": m.group(1), "why": re.sub(r"^\S+\.go:\d+: ", "", why)})
    return out

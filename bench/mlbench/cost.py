"""Cost per 1M answers and the scale limits of docs/cost-and-scale.md, from raw inputs.

Every input below is a measured figure (with the command that produced it in
docs/cost-and-scale.md) or a published price / limit (with its source there). Run:

    python3 bench/mlbench/cost.py

and it prints the tables of that page. No third-party packages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# AWS Lambda, us-east-1, first pricing tier (docs/cost-and-scale.md "Prices").
LAMBDA_REQUEST_USD_PER_M = 0.20
LAMBDA_GBS_USD = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
API_GATEWAY_HTTP_USD_PER_M = 1.00
FULL_VCPU_MB = 1769  # Lambda memory size at which a function has one full vCPU

# Amazon Comprehend custom classification: 1 unit = 100 characters, 3 units minimum.
COMPREHEND_USD_PER_UNIT = 0.0005
# Amazon Personalize real-time (custom campaign), first tier.
PERSONALIZE_USD_PER_TPS_HOUR = 0.0556

DYNAMO_PARTITION_WCU = 1000  # writes of <= 1 KB per second, per partition


@dataclass
class Function:
    """One serving function: its memory size and the measured time of one answer."""

    name: str
    case: str
    memory_mb: int
    cpu_ms: float  # CPU time of one answer on one thread (benchmark, this machine)
    wait_ms: float = 0.0  # time spent waiting on I/O, not CPU (stated, not measured)

    def billed_ms(self) -> int:
        """Lambda duration: CPU time stretched by the vCPU share below 1,769 MB, plus waits,
        rounded up to the next millisecond as Lambda bills."""
        share = min(1.0, self.memory_mb / FULL_VCPU_MB)
        return math.ceil(self.cpu_ms / share + self.wait_ms)

    def usd_per_million(self, arch: str) -> float:
        """Request price + GB-s price x memory (GB) x billed duration (s), per 1M answers."""
        gb_s = self.memory_mb / 1024 * self.billed_ms() / 1000
        return LAMBDA_REQUEST_USD_PER_M + 1e6 * gb_s * LAMBDA_GBS_USD[arch]


# Measured inputs (docs/cost-and-scale.md "Measurements" gives the command of each).
REC_CPU_MS = {"1,682 items": 0.09, "100K items": 6.776, "1M items": 63.71}
CLS_CPU_MS = {"1 text": 5.905, "32 texts": 178.3}
TWO_STAGE_CPU_MS = 3.27  # 1M items, NeuMF, BenchmarkTwoStage CPU p50
FUNCTIONS = [
    *(Function("recommend", case, 1024, ms) for case, ms in REC_CPU_MS.items()),
    Function("recommend", "1M items + 10 ms DynamoDB wait (assumed)", 1024, REC_CPU_MS["1M items"], 10.0),
    # two-stage (retrieval index, BenchmarkTwoStage); the index raised recommend to 1536 MB
    Function("recommend", "1M items, two-stage (retrieval index)", 1536, TWO_STAGE_CPU_MS),
    Function("recommend", "1M items, two-stage + 10 ms DynamoDB wait (assumed)", 1536, TWO_STAGE_CPU_MS, 10.0),
    Function("classify", "1 text of 64 tokens, int8", 2048, CLS_CPU_MS["1 text"]),
    Function("classify", "32 texts of 64 tokens, int8", 2048, CLS_CPU_MS["32 texts"]),
    Function("ingest", "1 interaction (wall time, SQLite)", 256, 0.079),
    Function("ingest", "1 interaction + 3 DynamoDB writes of 5 ms (assumed)", 256, 0.079, 15.0),
]
# 100K: measured cold start; 1M: measured fetch 7.5 s + measured load CPU 1.37 s x 1769/1024
INIT_S = {"100K items": 0.68, "1M items": round(7.5 + 1.37 * FULL_VCPU_MB / 1024, 1)}
SANDBOX_LIFETIME_S = 3600  # assumption: AWS does not publish it
RATES = [50, 500, 5000]  # today's stage throttle (req/s), 10x, 100x
FETCHED_MB = {"100K items": 55.3, "1M items": 536.5, "10M items": 5365, "100M items": 53650}
FETCH_MB_S = {"moto, measured 71.8 MB/s": 71.8, "S3, 4 x 90 MB/s (assumed)": 360}
TRAIN_INTERACTIONS = {"ML-100K train (today)": 93_347, "10x": 933_470, "100x": 9_334_700,
                      "ML-20M shape (peer)": 20_000_263}
TRAIN_SAMPLES_S = {"CPU 1.51M/s (measured)": 1.51e6, "H200 61.1M/s (peer, TF32)": 61.1e6}


def cost_table() -> list[str]:
    rows = ["| function | case | memory MB | measured ms (1 thread) | billed ms | arm64 $/1M | x86_64 $/1M |",
            "|---|---|---|---|---|---|---|"]
    for f in FUNCTIONS:
        rows.append(f"| {f.name} | {f.case} | {f.memory_mb} | {f.cpu_ms:g} | {f.billed_ms()} | "
                    f"{f.usd_per_million('arm64'):.2f} | {f.usd_per_million('x86_64'):.2f} |")
    return rows


def managed_table(chars: int = 300) -> list[str]:
    units = max(3, math.ceil(chars / 100))
    comprehend = 1e6 * units * COMPREHEND_USD_PER_UNIT
    personalize = 1e6 / 3600 * PERSONALIZE_USD_PER_TPS_HOUR  # 1 TPS-hour = 3,600 answers
    return ["| service | price used | $/1M answers at full use | floor per month |",
            "|---|---|---|---|",
            f"| Comprehend custom classification ({chars}-char text) | ${COMPREHEND_USD_PER_UNIT} per 100-char unit, 3 units min. | "
            f"{comprehend:,.0f} | endpoint: 1 IU x 730 h = ${COMPREHEND_USD_PER_UNIT * 3600 * 730:,.0f} |",
            f"| Personalize real-time campaign | ${PERSONALIZE_USD_PER_TPS_HOUR} per TPS-hour | {personalize:.2f} | "
            f"1 TPS min. x 730 h = ${PERSONALIZE_USD_PER_TPS_HOUR * 730:.2f} |"]


def concurrency_table(rates: list[float], durations_ms: dict[str, float],
                      init_s: dict[str, float], lifetime_s: float) -> list[str]:
    """Concurrency = rate x duration; cold-start share = sandboxes / (rate x lifetime),
    at least one sandbox; cold-start time share = that x init / duration."""
    rows = ["| rate req/s | case | billed ms | concurrency | sandboxes | cold starts / answer | time in init |",
            "|---|---|---|---|---|---|---|"]
    for rate in rates:
        for case, d in durations_ms.items():
            conc = rate * d / 1000
            boxes = max(1, math.ceil(conc))
            share = boxes / (rate * lifetime_s)
            time_share = share * init_s[case] * 1000 / (share * init_s[case] * 1000 + d)
            rows.append(f"| {rate:,.0f} | {case} | {d:g} | {conc:.1f} | {boxes} | {share:.1e} | {time_share:.2%} |")
    return rows


def hot_item_table(rates: list[float]) -> list[str]:
    """Popularity writes: per new (user, item) pair 1 WCU on the item's own partition and
    2 WCU on the single `top` index partition (delete + put: the sort key `count` changes)."""
    rows = ["| new (user, item) pairs/s, all items | `top` index WCU/s | share of one partition | "
            "hottest item at 10 % of pairs, WCU/s |", "|---|---|---|---|"]
    for r in rates:
        rows.append(f"| {r:,.0f} | {2 * r:,.0f} | {2 * r / DYNAMO_PARTITION_WCU:.0%} | {0.1 * r:,.0f} |")
    return rows


def fetch_table(size_mb: dict[str, float], mb_s: dict[str, float]) -> list[str]:
    rows = ["| checkpoint | fetched MB | " + " | ".join(f"at {k}" for k in mb_s) + " |",
            "|---|---|" + "---|" * len(mb_s)]
    for name, mb in size_mb.items():
        rows.append(f"| {name} | {mb:,.0f} | " + " | ".join(f"{mb / v:.1f} s" for v in mb_s.values()) + " |")
    return rows


def training_table(interactions: dict[str, float], samples_s: dict[str, float],
                   epochs: int = 10, negatives: int = 4) -> list[str]:
    """Time = epochs x interactions x (1 + negatives) / samples per second."""
    rows = ["| training data | interactions | samples / epoch | " +
            " | ".join(f"{epochs} epochs at {k}" for k in samples_s) + " |",
            "|---|---|---|" + "---|" * len(samples_s)]
    for name, n in interactions.items():
        per_epoch = n * (1 + negatives)
        cells = []
        for v in samples_s.values():
            s = epochs * per_epoch / v
            cells.append(f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.1f} min" if s >= 60 else f"{s:.1f} s")
        rows.append(f"| {name} | {n:,.0f} | {per_epoch:,.0f} | " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    rec = {f.case: f.billed_ms() for f in FUNCTIONS if f.name == "recommend" and f.case in INIT_S}
    sections = {
        "COST_TABLE": cost_table(),
        "MANAGED_TABLE": managed_table(),
        "CONC_TABLE": concurrency_table(RATES, rec, INIT_S, SANDBOX_LIFETIME_S),
        "HOT_TABLE": hot_item_table([50, 500, 5000]),
        "FETCH_TABLE": fetch_table(FETCHED_MB, FETCH_MB_S),
        "TRAIN_TABLE": training_table(TRAIN_INTERACTIONS, TRAIN_SAMPLES_S),
    }
    for name, rows in sections.items():
        print(f"<!-- {name} -->")
        print("\n".join(rows), end="\n\n")


if __name__ == "__main__":
    main()

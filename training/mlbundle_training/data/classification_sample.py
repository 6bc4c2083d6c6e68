"""A small hand-made classification dataset for the demo and the tests.

Nine taxonomy codes (with parents) and a few hundred short news-like texts generated from
templates and slot fillers with a seeded random generator; about one text in five carries
two codes. ``python -m mlbundle_training.data.classification_sample --out PATH`` writes it.
"""

from __future__ import annotations

import argparse
import random

from .classification import Label, write_classification_data

TAXONOMY = [
    Label("econ", "Economy"),
    Label("econ.rates", "Interest rates", "econ"),
    Label("econ.trade", "Trade", "econ"),
    Label("energy", "Energy"),
    Label("energy.oil", "Crude oil", "energy"),
    Label("agri", "Agriculture"),
    Label("agri.grain", "Grain", "agri"),
    Label("corp.earn", "Earnings"),
    Label("corp.acq", "Mergers and acquisitions"),
]

_SLOTS = {
    "co": ["Norvale Industries", "Brightwater Corp", "Kestrel Systems", "Alder & Finch", "Pellham Group",
           "Orion Foods", "Tamsin Motors", "Quarry Bank", "Westmark Steel", "Lumen Retail"],
    "country": ["Canada", "Brazil", "Japan", "Germany", "Australia", "India", "Egypt", "Mexico", "Norway"],
    "pct": ["0.25", "0.5", "1.2", "2.8", "3.5", "4.1", "7.9", "12"],
    "amt": ["12", "45", "180", "310", "1.2 billion", "640", "95"],
    "dir": ["rose", "fell", "climbed", "dropped", "edged up", "slipped"],
    "grain": ["wheat", "corn", "barley", "sorghum", "rice"],
    "month": ["January", "March", "May", "July", "September", "November"],
}

_TEMPLATES = {
    "econ.rates": [
        "The central bank of {country} raised its benchmark rate by {pct} points.",
        "Policy makers in {country} cut interest rates to {pct} pct to support growth.",
        "Bond yields {dir} after the {month} rate decision in {country}.",
        "Mortgage rates {dir} to {pct} pct, the lowest since {month}.",
    ],
    "econ.trade": [
        "{country} posted a trade surplus of {amt} mln dlrs in {month}.",
        "Exports from {country} {dir} {pct} pct as tariffs took effect.",
        "The trade deficit of {country} widened to {amt} mln dlrs.",
        "Import quotas on steel were extended by {country} until {month}.",
    ],
    "econ": [
        "Inflation in {country} {dir} to {pct} pct in {month}.",
        "Gross domestic product of {country} grew {pct} pct last quarter.",
        "Unemployment in {country} {dir} to {pct} pct, officials said.",
    ],
    "energy.oil": [
        "Crude oil prices {dir} to {amt} dlrs a barrel on supply worries.",
        "Refiners in {country} processed {amt} thousand barrels of crude a day.",
        "OPEC members agreed to trim crude output by {pct} pct from {month}.",
        "Oil inventories {dir} by {amt} thousand barrels last week.",
    ],
    "energy": [
        "Power demand in {country} {dir} {pct} pct during the {month} heat.",
        "{country} approved {amt} new wind turbines for its grid.",
        "Natural gas storage {dir} as {country} braced for winter.",
    ],
    "agri.grain": [
        "{country} sold {amt} thousand tonnes of {grain} to overseas buyers.",
        "The {grain} harvest in {country} is expected to reach {amt} mln tonnes.",
        "{grain} futures {dir} after rain delayed planting in {country}.",
        "Farmers in {country} planted {pct} pct more {grain} than last year.",
    ],
    "agri": [
        "Cattle herds in {country} {dir} by {pct} pct this season.",
        "Fertiliser costs {dir} for farmers in {country}.",
        "Dairy output in {country} {dir} {pct} pct in {month}.",
    ],
    "corp.earn": [
        "{co} reported quarterly net profit of {amt} mln dlrs.",
        "{co} said earnings per share {dir} {pct} pct in the quarter to {month}.",
        "{co} raised its full-year profit forecast after strong sales.",
        "Net income at {co} {dir} to {amt} mln dlrs, beating estimates.",
    ],
    "corp.acq": [
        "{co} agreed to acquire a rival for {amt} mln dlrs in cash.",
        "{co} completed its merger with a smaller competitor in {month}.",
        "Shareholders of {co} approved the takeover bid worth {amt} mln dlrs.",
        "{co} is in talks to buy a {pct} pct stake in a supplier.",
    ],
}

_PAIRS = [("energy.oil", "econ.trade"), ("agri.grain", "econ.trade"), ("corp.earn", "energy.oil"),
          ("corp.acq", "agri"), ("econ.rates", "econ"), ("corp.earn", "corp.acq")]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in _SLOTS.items()})


def make_sample_dataset(n: int = 300, seed: int = 7) -> list[tuple[str, list[str]]]:
    """``n`` distinct (text, codes) samples; deterministic for a given seed."""
    rng = random.Random(seed)
    codes = list(_TEMPLATES)
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    while len(out) < n:
        if rng.random() < 0.2:
            pair = rng.choice(_PAIRS)
            text = " ".join(_fill(rng.choice(_TEMPLATES[c]), rng) for c in pair)
            labels = list(pair)
        else:
            c = codes[len(out) % len(codes)]
            text, labels = _fill(rng.choice(_TEMPLATES[c]), rng), [c]
        if text not in seen:
            seen.add(text)
            out.append((text, labels))
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the sample dataset to ``--out``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True, help="output JSON path")
    p.add_argument("--samples", type=int, default=300, help="number of samples")
    p.add_argument("--seed", type=int, default=7, help="random seed")
    a = p.parse_args(argv)
    write_classification_data(a.out, make_sample_dataset(a.samples, a.seed), TAXONOMY)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Label-preserving text augmentation for small classification datasets (offline).

Techniques (each variant applies one lexical and one structural edit, chosen at random):

- lexical: synonym substitution from a small shipped table of label-neutral words (verbs,
  adjectives, connectives: never topic words, which could change the label) and number
  substitution (digits replaced, magnitude kept);
- structural: sentence shuffle, random word deletion, random word swap.

``augment_classification_data`` spreads the new variants evenly over the source samples
(round-robin in a seeded order), so each sample is expanded by the same factor to within
one and every label keeps its share. No text appears twice, originals included.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

# Groups of interchangeable, topic-neutral words. Every word maps to the others of its group.
_SYNONYM_GROUPS = [
    "said stated reported noted added",
    "rose increased climbed gained advanced",
    "fell declined dropped decreased slipped",
    "big large major substantial",
    "small minor modest slight",
    "about around approximately roughly",
    "also additionally likewise",
    "but however though",
    "buy purchase acquire",
    "sell dispose",
    "company firm group",
    "expects anticipates forecasts",
    "expected anticipated forecast",
    "plans intends aims",
    "announced disclosed unveiled",
    "began started commenced",
    "ended finished concluded",
    "quickly rapidly swiftly",
    "sharply steeply strongly",
    "help assist support",
    "show indicate reveal",
    "shows indicates reveals",
    "new fresh recent",
    "previous prior earlier",
    "total overall combined",
    "rise increase gain",
    "drop decline fall",
    "level rate",
    "talks negotiations discussions",
    "agreement accord deal",
    "officials authorities representatives",
    "spokesman representative",
    "today currently",
    "soon shortly",
    "because since",
    "many numerous several",
    "very highly",
    "important significant key",
    "week period",
    "statement announcement",
    "customers clients buyers",
    "reached attained hit",
    "cut reduced lowered",
    "raised lifted boosted",
]


def synonym_table(groups: Sequence[str] = _SYNONYM_GROUPS) -> dict[str, list[str]]:
    """Word -> alternatives, from whitespace-separated groups of interchangeable words."""
    table: dict[str, list[str]] = {}
    for g in groups:
        words = g.split()
        for w in words:
            table.setdefault(w, [])
            table[w] += [o for o in words if o != w and o not in table[w]]
    return table


_WORD = re.compile(r"^(\W*)([A-Za-z]+)(\W*)$")
_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _match_case(src: str, word: str) -> str:
    if src.isupper() and len(src) > 1:
        return word.upper()
    if src[0].isupper():
        return word[0].upper() + word[1:]
    return word


def substitute_synonyms(text: str, rng: random.Random, table: dict[str, list[str]], rate: float = 0.3) -> str:
    """Replace about ``rate`` of the table's words found in ``text`` (at least one if any)."""
    tokens = text.split()
    spots = []
    for i, tok in enumerate(tokens):
        m = _WORD.match(tok)
        if m and m[2].lower() in table:
            spots.append((i, m))
    if not spots:
        return text
    k = max(1, round(rate * len(spots)))
    for i, m in rng.sample(spots, k):
        alt = rng.choice(table[m[2].lower()])
        tokens[i] = m[1] + _match_case(m[2], alt) + m[3]
    return " ".join(tokens)


def substitute_numbers(text: str, rng: random.Random) -> str:
    """Replace the digits of one number in ``text`` keeping its length (no leading zero)."""
    spans = [m.span() for m in _NUMBER.finditer(text)]
    if not spans:
        return text
    a, b = rng.choice(spans)
    digits = [str(rng.randint(1 if j == 0 and b - a > 1 else 0, 9)) for j in range(b - a)]
    return text[:a] + "".join(digits) + text[b:]


def shuffle_sentences(text: str, rng: random.Random) -> str:
    """Shuffle the sentences of ``text`` (unchanged when it has fewer than two)."""
    parts = [p for p in _SENTENCE.split(text.strip()) if p]
    if len(parts) < 2:
        return text
    rng.shuffle(parts)
    return " ".join(parts)


def delete_words(text: str, rng: random.Random, p: float = 0.1) -> str:
    """Drop each word with probability ``p``, at least one and never more than half."""
    tokens = text.split()
    if len(tokens) < 4:
        return text
    keep = [t for t in tokens if rng.random() >= p]
    if len(keep) == len(tokens):
        del keep[rng.randrange(len(keep))]
    if len(keep) < len(tokens) / 2:
        return text
    return " ".join(keep)


def swap_words(text: str, rng: random.Random, n: int = 1) -> str:
    """Swap ``n`` random pairs of words."""
    tokens = text.split()
    if len(tokens) < 2:
        return text
    for _ in range(n):
        i, j = rng.sample(range(len(tokens)), 2)
        tokens[i], tokens[j] = tokens[j], tokens[i]
    return " ".join(tokens)


def make_variant(text: str, rng: random.Random, table: dict[str, list[str]]) -> str:
    """One lexical then one structural edit, each picked at random."""
    lexical: list[Callable[[str], str]] = [
        lambda t: substitute_synonyms(t, rng, table),
        lambda t: substitute_numbers(t, rng),
    ]
    structural: list[Callable[[str], str]] = [
        lambda t: shuffle_sentences(t, rng),
        lambda t: delete_words(t, rng),
        lambda t: swap_words(t, rng),
    ]
    out = rng.choice(lexical)(text)
    return rng.choice(structural)(out)


def augment_classification_data(
    samples: Sequence[tuple[str, list[str]]],
    target_size: int = 500,
    seed: int = 0,
    max_tries: int = 8,
) -> list[tuple[str, list[str]]]:
    """Return ``samples`` plus label-preserving variants up to ``target_size`` samples.

    Datasets already at or over the target come back unchanged (as a new list). Variants
    carry the codes of their source; no text (original or new) appears twice. A source
    whose text yields no new variant in ``max_tries`` attempts is skipped for that round.
    """
    out = [(t, list(c)) for t, c in samples]
    if len(out) >= target_size or not out:
        return out
    rng = random.Random(seed)
    table = synonym_table()
    seen = {t for t, _ in out}
    order = list(range(len(out)))
    rng.shuffle(order)
    needed = target_size - len(out)
    stalled_rounds = 0
    while needed > 0 and stalled_rounds < 3:
        made = 0
        for idx in order:
            if needed == 0:
                break
            text, codes = samples[idx]
            for _ in range(max_tries):
                v = make_variant(text, rng, table)
                if v.strip() and v not in seen:
                    seen.add(v)
                    out.append((v, list(codes)))
                    needed -= 1
                    made += 1
                    break
        stalled_rounds = stalled_rounds + 1 if made == 0 else 0
    if needed:
        log.warning("augment: %d variants short of target %d (texts too short to vary)", needed, target_size)
    log.info("augment: %d -> %d samples", len(samples), len(out))
    return out

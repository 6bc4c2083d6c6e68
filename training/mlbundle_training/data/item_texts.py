"""Item texts (a title and a description per item), for placing items by text.

- synthetic data: each item's text is drawn from the words of its latent taste group
  (:func:`synthetic_item_texts`), so a text encoder can see which group an item belongs
  to, as it could from a real catalogue's descriptions;
- MovieLens 100K: ``u.item`` beside ``u.data`` gives the title and the genres
  (:func:`movielens_item_texts`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# one vocabulary per topic; synthetic group g speaks topic g mod len(TOPICS)
TOPICS = [
    "space rocket planet orbit astronaut galaxy star mission alien launch",
    "football match goal league striker coach season stadium transfer referee",
    "recipe kitchen bake flour dinner sauce chef garlic oven dessert",
    "election vote parliament minister policy campaign senate ballot reform party",
    "guitar concert album band song tour drummer melody stage singer",
    "market stock investor bank profit shares inflation bond earnings trade",
    "garden flower seed soil plant bloom harvest compost tree pruning",
    "detective murder crime police suspect clue mystery trial witness alibi",
    "ocean sail island beach coral wave boat fishing harbour tide",
    "mountain hiking trail summit climb snow peak camping valley glacier",
    "robot software code computer algorithm chip network data startup cloud",
    "medicine doctor hospital patient vaccine surgery health nurse clinic therapy",
]
_FILLER = "new story the best guide about with great a for of and latest review".split()
_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
           "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
           "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def synthetic_item_texts(item_ids: list[str], item_group: np.ndarray, seed: int,
                         on_topic: float = 0.7) -> dict[str, str]:
    """A text per item: a two-word title and a ten-word description, each word taken from
    the item's group topic with probability ``on_topic``, else from any topic or filler."""
    rng = np.random.default_rng(seed + 7919)
    words = [t.split() for t in TOPICS]
    every = [w for t in words for w in t] + _FILLER
    texts = {}
    for i, item in enumerate(item_ids):
        topic = words[int(item_group[i]) % len(words)]
        pick = [topic[rng.integers(len(topic))] if rng.random() < on_topic
                else every[rng.integers(len(every))] for _ in range(12)]
        texts[item] = f"{pick[0].title()} {pick[1].title()}. " + " ".join(pick[2:]) + "."
    return texts


def movielens_item_texts(path: Path) -> dict[str, str]:
    """``u.item`` (id|title|date|video date|url|19 genre flags) -> "Title (year). Genres: a, b".

    Returns {} when the file is absent (the interactions load without texts)."""
    if not path.is_file():
        log.info("%s not found: MovieLens items have no texts", path)
        return {}
    texts = {}
    with path.open(encoding="latin-1") as f:
        for line in f:
            parts = line.rstrip("\n").split("|")
            if len(parts) < 5 + len(_GENRES) or not parts[0].isdigit():
                continue
            genres = [g for g, flag in zip(_GENRES, parts[5:5 + len(_GENRES)]) if flag == "1"]
            texts[parts[0]] = f"{parts[1]}. Genres: {', '.join(genres)}."
    return texts

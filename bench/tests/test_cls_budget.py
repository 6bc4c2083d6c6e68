"""mlbench.cls_budget and cls_trainer: merging rows of runs, the table, the Trainer's step plan."""

import pytest

from mlbench import cls_budget
from mlbench.cls_trainer import plan_steps


def row(name, cpu, train=6569, n_test=1164, **kw):
    return {"name": name, "flags": kw.pop("flags", []), "cpu_s": cpu, "train_articles": train,
            "test_articles": n_test, **kw}


def test_merge_keeps_earlier_rows_of_the_same_split_and_replaces_redone_ones():
    previous = [row("budget", 800.0), row("freeze4", 900.0), row("budget", 50.0, train=1000, n_test=300)]
    got = cls_budget.merge(previous, [row("budget", 810.0), row("hf-trainer", 1199.0)])
    assert [(r["name"], r["cpu_s"]) for r in got] == [("freeze4", 900.0), ("budget", 810.0), ("hf-trainer", 1199.0)]
    assert cls_budget.merge(previous, []) == previous


def test_read_rows_of_a_missing_file(tmp_path):
    assert cls_budget.read_rows(tmp_path / "budget.jsonl") == []


def test_table_rows():
    r = row("budget", 817.9, wall_s=900.0, validation={"micro_f1": 0.85}, date="2026-12-02", load_avg=4.2,
            test={"fp32": {"micro_f1": 0.8634, "macro_f1": 0.559}, "int8": {"micro_f1": 0.862, "macro_f1": 0.569}})
    peer = row("TF-IDF", 34.8, flags=["C=1"], test={"fp32": {"micro_f1": 0.889, "macro_f1": 0.492}})
    lines = cls_budget.table([r, peer], "note").splitlines()
    assert lines[0] == "note" and lines[2].startswith("| configuration |")
    assert lines[4] == ("| budget | `(defaults)` | 817.9 | 900.0 | 0.85 | 0.863 | 0.559 | 0.862 | 0.569 | "
                        "2026-12-02 (4.2) |")
    assert lines[5] == "| TF-IDF | `C=1` | 34.8 | - | - | 0.889 | 0.492 | - | - | - (-) |"


def test_unknown_configuration_is_named(capsys):
    with pytest.raises(SystemExit):
        cls_budget.main(["--configs", "budget,nope"])
    err = capsys.readouterr().err
    assert "--configs: unknown nope" in err and "hf-trainer" in err


@pytest.mark.parametrize("budget,spent,step,reserve,want", [
    (1200, 30, 2.0, 70, 522),   # 0.95 * 1100 / 2
    (90, 10, 3.5, 10, 19),
    (100, 99, 5.0, 10, 1),      # over budget already: still one step
])
def test_plan_steps(budget, spent, step, reserve, want):
    assert plan_steps(budget, spent, step, reserve) == want

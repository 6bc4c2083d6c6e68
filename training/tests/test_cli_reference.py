"""training/README.md documents every CLI command and flag (its reference is generated)."""

import importlib.util
from pathlib import Path

from mlbundle_training.cli import build_parser

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "cli_reference.py"


def _module():
    spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_reference_is_current():
    mod = _module()
    text = mod.README.read_text()
    assert mod.rewrite(text) == text, "training/README.md is stale: run python training/scripts/cli_reference.py"


def test_every_flag_appears_in_readme():
    text = _module().README.read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        assert f"`{name}`" in text, f"command {name} is not in training/README.md"
        for a in p._actions:
            if a.__class__.__name__ == "_HelpAction":
                continue
            for flag in a.option_strings:
                assert f"`{flag}`" in text, f"{name} {flag} is not in training/README.md"

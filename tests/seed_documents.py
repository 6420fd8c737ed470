"""The seed recipe's three JSON documents (tests/seed/*.json), for every test that needs them.

Copied once from the recipe (shared/seed/exposing-kubernetes-api-marathon-lb-edge-lb.txt); each
accessor returns a fresh deep copy so no test can change another's data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).parent / "seed"


def seed_document(name: str) -> dict[str, Any]:
    """`marathon-lb-verify-none`, `marathon-lb-verify-required` or `edge-lb-pool`."""
    document: dict[str, Any] = json.loads((SEED_DIR / f"{name}.json").read_text())
    return document


def seed_app() -> dict[str, Any]:
    """The dummy Marathon app of the recipe's first example (backend TLS not verified)."""
    return seed_document("marathon-lb-verify-none")


def seed_pool() -> dict[str, Any]:
    """The recipe's Edge-LB V2 pool."""
    return seed_document("edge-lb-pool")

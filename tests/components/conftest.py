"""Shared fixtures for the component tests."""

from __future__ import annotations

import sys
from pathlib import Path

# The `pytest` entry point does not put the project root on sys.path; the program imports
# `components` and `provider` as top-level packages, so the tests do too.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

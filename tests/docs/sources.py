"""What the project's code reads from the environment and from the stack config, found in its
sources: Python (`os.environ.get("X")`, `os.environ["X"]`, `os.getenv("X")`, `config.get("key")`
and the other `pulumi.Config` getters) and shell scripts (`${X:-default}` and the other expansion
forms, and `$X` where the script never assigns X). Keys the code reads through a declared table
(the `dcos:*` keys, the cluster options) come from those tables, not from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tests.pulumi_cli import REPO

# What users run: the program, its packages, the sandbox, the scripts (the engine's included) and
# the example. Tests are not in it: what only a test reads is the test's business. The Makefile is
# not either: its `$(VENV)`-style variables are make's own, not read from the environment.
SOURCE_ROOTS = ("__main__.py", "provider", "components", "localdcos", "scripts", "examples")

_NAME = r"[A-Z_][A-Z0-9_]*"
_PY_ENV = [
    re.compile(rf"""environ\.get\(\s*["']({_NAME})["']"""),
    re.compile(rf"""environ\[\s*["']({_NAME})["']\s*\](?!\s*=[^=])"""),
    re.compile(rf"""getenv\(\s*["']({_NAME})["']"""),
]
_CONFIG_GETTER = (
    r"(?:get|require)(?:_secret)?(?:_object|_bool|_int|_float)?|get_secret_object|require_secret_object"
)
# `<something>config<something>.get("key")`: the receiver names a pulumi.Config, not a dict.
_PY_CONFIG = re.compile(rf"""\b\w*[cC]onfig\w*\.(?:{_CONFIG_GETTER})\(\s*["']([A-Za-z][\w:.]*)["']""")
_SH_DEFAULTED = re.compile(rf"(?<!\\)\$\{{({_NAME})(?::?[-+=?])")
_SH_REFERENCE = re.compile(rf"(?<!\\)\$\{{?({_NAME})\b")
_SH_ASSIGNMENT = re.compile(rf"(?<![\w${{:\\])({_NAME})\+?=(?!=)")


def source_files(root: Path = REPO) -> Iterator[Path]:
    for name in SOURCE_ROOTS:
        top = root / name
        candidates = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in candidates:
            if "__pycache__" not in path.parts and language(path) is not None:
                yield path


def language(path: Path) -> str | None:
    """`python`, `shell` or None, by suffix, shebang, or (the engine's scripts without a suffix,
    run by their launcher) a module docstring on the first line."""
    if path.suffix == ".py":
        return "python"
    try:
        first = path.read_bytes()[:64].split(b"\n", 1)[0]
    except OSError:
        return None
    if (first.startswith(b"#!") and b"python" in first) or first.startswith(b'"""'):
        return "python"
    if first.startswith(b"#!") and (b"bash" in first or first.endswith(b"/sh")):
        return "shell"
    return None


def python_environment(text: str) -> set[str]:
    return {name for pattern in _PY_ENV for name in pattern.findall(text)}


def shell_environment(text: str) -> set[str]:
    """Variables a script takes from its environment: any name it expands with a default or
    alternative (`${X:-y}`, `${X-y}`, `${X+set}`, ...), and the names it expands but never assigns."""
    assigned = set(_SH_ASSIGNMENT.findall(text))
    referenced = set(_SH_REFERENCE.findall(text))
    return set(_SH_DEFAULTED.findall(text)) | (referenced - assigned)


def config_reads(text: str) -> set[str]:
    """Config keys a Python source reads by literal name."""
    return set(_PY_CONFIG.findall(text))


def environment_reads(root: Path = REPO) -> dict[str, set[str]]:
    """Variable -> the files (relative) that read it."""
    found: dict[str, set[str]] = {}
    for path in source_files(root):
        text = path.read_text(errors="replace")
        names = python_environment(text) if language(path) == "python" else shell_environment(text)
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(root)))
    return found


def literal_config_reads(root: Path = REPO) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in source_files(root):
        if language(path) == "python":
            for key in config_reads(path.read_text(errors="replace")):
                found.setdefault(key, set()).add(str(path.relative_to(root)))
    return found

"""The README documents every environment variable and config key the code reads (found by
tests/docs/sources.py in the sources, plus the keys the code reads through its declared tables)."""

from __future__ import annotations

import re

from components.balancers import ExposureModel
from components.config import PROGRAM_KEYS, TOKEN_KEY, ClusterFromSource
from components.kubeconfig import FrontendTrust
from components.settings import Spelling, key_of
from provider.settings import CONFIG_ENV_FALLBACK
from tests.docs import sources
from tests.docs.readme import README

# Read by the code, but nothing a user sets, so not in the README:
NOT_SETTINGS = {
    # set by bash or the OS for every process
    "BASH_SOURCE": "the script's own path",
    "PATH": "where commands are found",
    "HOME": "the user's home (the engine cache's default parent)",
    "PWD": "the working directory",
    # set by the Pulumi engine for the programs and plugins it starts (shared/docs/pulumi-engine.md §7)
    "PULUMI_CONFIG": "the stack config, for the program",
    "PULUMI_CONFIG_SECRET_KEYS": "which of it is secret",
    "PULUMI_PROJECT": "the project name, for the dynamic providers",
    "PULUMI_RUNTIME_VIRTUALENV": "Pulumi.yaml's `virtualenv` option, for the dynamic-provider plugin",
}


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def documented(name: str, spans: list[str]) -> bool:
    """`name` is a word of some code span (`NAME`, `NAME=1`, `${NAME:-x}`, `$NAME/bin`, ...)."""
    word = re.compile(rf"(?<![\w:.]){re.escape(name)}(?![\w])")
    return any(word.search(span) for span in spans)


def config_keys() -> set[str]:
    """Every config key the program, the provider and the example read."""
    keys = {f"dcos:{key}" for key in CONFIG_ENV_FALLBACK}
    keys |= set(PROGRAM_KEYS) | {TOKEN_KEY}
    keys |= {key_of(ExposureModel, f, Spelling.CONFIG) for f in ExposureModel.model_fields}
    keys |= {key_of(FrontendTrust, f, Spelling.CONFIG) for f in FrontendTrust.model_fields}
    keys |= {
        f"clusterFrom.{key_of(ClusterFromSource, f, Spelling.CONFIG)}" for f in ClusterFromSource.model_fields
    }
    return keys | set(sources.literal_config_reads())


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    spans = code_spans(README.read_text())
    reads = sources.environment_reads()
    variables = set(reads) | set(CONFIG_ENV_FALLBACK.values())
    missing = {
        name: sorted(reads.get(name, {"provider/settings.py"})) for name in variables - NOT_SETTINGS.keys()
    }
    missing = {name: where for name, where in missing.items() if not documented(name, spans)}
    assert missing == {}, f"read by the code, not in README.md: {missing}"


def test_the_allow_list_holds_only_what_the_code_reads() -> None:
    assert NOT_SETTINGS.keys() <= set(sources.environment_reads())


def test_every_config_key_the_code_reads_is_documented() -> None:
    spans = code_spans(README.read_text())
    missing = sorted(
        key for key in config_keys() if not any(span == key or span.startswith(f"{key}:") for span in spans)
    )
    assert missing == [], f"config keys the code reads, not in README.md as `key`: {missing}"


def test_the_scanner_finds_what_scripts_and_python_read() -> None:
    script = 'port=${PORT:-1}\nexport GO=1 X=$GO\necho "$USED" "${ALT+set}" \\$ESCAPED\nSELF=${SELF:-a}\n'
    assert sources.shell_environment(script) == {"PORT", "USED", "ALT", "SELF"}
    python = 'os.environ.get("A")\nos.environ["B"]\nos.environ["C"] = "1"\nos.getenv("D", "x")\n'
    assert sources.python_environment(python) == {"A", "B", "D"}
    program = 'config = pulumi.Config()\nconfig.require("stack")\nconfig.get_secret("t")\nitem.get("name")\n'
    assert sources.config_reads(program) == {"stack", "t"}

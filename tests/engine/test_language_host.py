"""Our Python language host (scripts/engine/pulumi-language-python) under the real engine, through
the plain `pulumi` CLI, on tiny throwaway projects."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pulumi_cli import PATH_WARNING, PulumiCli

pytestmark = pytest.mark.e2e

Make = Callable[..., PulumiCli]
HOST_FRAMES = ("pulumi-language-python-exec", "runpy.py", "asyncio", "pulumi/runtime/stack.py")


def diagnostics(output: str) -> str:
    """The CLI's Diagnostics section: each message once, unlike the progress lines above it."""
    return output.split("Diagnostics:", 1)[-1].split("\nResources:", 1)[0]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout}s")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its re-parented init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[-1][:1] != "Z"


def start(cli: PulumiCli, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`pulumi ARGS` in the background, in its own session so that our signals reach it alone."""
    return subprocess.Popen(
        [str(cli.bin_dir / "pulumi"), *args, "--stack", cli.stack, "--non-interactive", "--color", "never"],
        cwd=cli.project_dir,
        env=cli.env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_failing_program_shows_its_own_frames(make_project: Make) -> None:
    cli = make_project(
        """
        import pulumi

        def build_cluster():
            raise ValueError("the cluster name is empty")

        build_cluster()
        """
    )
    result = cli.preview()
    assert not result.ok
    report = diagnostics(result.output)
    assert "Program failed with an unhandled exception" in report
    assert re.search(r'File ".*/__main__.py", line 5, in build_cluster', report), result.output
    assert "ValueError: the cluster name is empty" in report
    assert not [frame for frame in HOST_FRAMES if frame in report], report
    # Exit code 32: the host adds no "non-zero exit code" error of its own.
    assert "non-zero exit code" not in result.output
    assert PATH_WARNING not in result.output


def test_a_run_error_is_reported_once_without_a_traceback(make_project: Make) -> None:
    cli = make_project(
        """
        import pulumi

        raise pulumi.RunError("dcos:url is not set: run pulumi config set dcos:url https://...")
        """
    )
    for result in (cli.preview(), cli.up()):
        assert not result.ok
        report = diagnostics(result.output)
        assert report.count("dcos:url is not set") == 1, result.output
        assert "Traceback" not in result.output and "non-zero exit code" not in result.output


def test_an_exit_code_other_than_32_is_an_error(make_project: Make) -> None:
    cli = make_project("import sys\nsys.exit(3)\n")
    result = cli.preview()
    assert not result.ok
    assert "program exited with non-zero exit code: 3" in result.output


def test_a_secret_config_value_reaches_the_program_and_is_never_printed(
    make_project: Make, tmp_path: Path
) -> None:
    seen = tmp_path / "seen.json"
    cli = make_project(
        f"""
        import json, os
        import pulumi

        config = pulumi.Config()
        token = config.require_secret("token")

        def record(value):
            with open({str(seen)!r}, "w") as handle:
                json.dump({{"token": value, "secret_keys": json.loads(os.environ["PULUMI_CONFIG_SECRET_KEYS"]),
                           "plain": config.get("plain")}}, handle)
            return value

        pulumi.export("token", token.apply(record))
        """
    )
    secret = "s3cr3t-t0ken-9f2c"
    cli.set_config("token", secret, secret=True)
    cli.set_config("plain", "visible")
    cli.up().check()
    recorded = json.loads(seen.read_text())
    assert recorded == {"token": secret, "secret_keys": ["engine-test:token"], "plain": "visible"}
    assert cli.outputs() == {"token": "[secret]"}
    assert secret not in cli.text
    assert secret not in cli.state_files_text()
    assert cli.outputs(show_secrets=True) == {"token": secret}


def test_settings_reach_the_program(make_project: Make, tmp_path: Path) -> None:
    seen = tmp_path / "settings.json"
    cli = make_project(
        f"""
        import json, os, sys
        import pulumi
        from pulumi.runtime.settings import SETTINGS

        with open({str(seen)!r}, "w") as handle:
            json.dump({{
                "parallel": SETTINGS.parallel, "dry_run": pulumi.runtime.is_dry_run(),
                "stack": pulumi.get_stack(), "project": pulumi.get_project(),
                "organization": pulumi.get_organization(), "root": pulumi.get_root_directory(),
                "cwd": os.getcwd(), "prefix": sys.prefix, "virtual_env": os.environ.get("VIRTUAL_ENV"),
                "path0": os.environ["PATH"].split(os.pathsep)[0], "secret_keys": os.environ["PULUMI_CONFIG_SECRET_KEYS"],
            }}, handle)
        """,
        main="src",
    )
    cli.preview("--parallel", "7").check()
    settings = json.loads(seen.read_text())
    venv = str(Path(sys.executable).parent.parent)
    assert settings == {
        "parallel": 7,
        "dry_run": True,
        "stack": "dev",
        "project": "engine-test",
        "organization": "organization",
        "root": str(cli.project_dir),
        "cwd": str(cli.project_dir / "src"),
        "prefix": venv,
        "virtual_env": venv,
        "path0": f"{venv}/bin",
        "secret_keys": "[]",
    }
    cli.up("--parallel", "3").check()
    assert json.loads(seen.read_text())["parallel"] == 3
    assert json.loads(seen.read_text())["dry_run"] is False


def test_without_a_virtualenv_the_program_runs_on_pulumi_python_cmd(
    make_project: Make, tmp_path: Path
) -> None:
    seen = tmp_path / "prefix.txt"
    cli = make_project(f"import sys\nopen({str(seen)!r}, 'w').write(sys.prefix)\n", virtualenv=None)
    assert cli.env["PULUMI_PYTHON_CMD"] == sys.executable
    cli.preview().check()
    assert seen.read_text() == sys.prefix
    about = cli.run("about", "--json", merge=False).check()
    assert json.loads(about.output)["runtime"]["executable"] == sys.executable


def test_ctrl_c_interrupts_the_program_once(make_project: Make, tmp_path: Path) -> None:
    marks = tmp_path / "marks.txt"
    cli = make_project(
        f"""
        import os, signal, time
        import pulumi

        def note(text):
            with open({str(marks)!r}, "a") as handle:
                handle.write(text + "\\n")

        if not os.path.exists({str(marks)!r}):  # the first run only: the next one ends at once
            note(f"started {{os.getpid()}}")
            try:
                for _ in range(1200):  # two minutes, far beyond the bound below
                    time.sleep(0.1)
            except KeyboardInterrupt:
                note("interrupted")
                raise
        """
    )
    log = tmp_path / "up.log"
    process = start(cli, log, "up", "--yes", "--skip-preview")
    try:
        wait_for(lambda: marks.exists() and "started" in marks.read_text(), 60, "the program's start")
        program = int(marks.read_text().split()[1])
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text()
    assert code != 0
    assert "update canceled" in output, output
    assert marks.read_text().count("interrupted") == 1
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    wait_for(lambda: not alive(program), 10, "the program's exit")
    # The stack is not left locked: the next run goes ahead.
    cli.run("config", "set", "next", stdin="1").check()
    assert cli.preview().ok


def test_the_host_exits_when_the_engine_dies(make_project: Make, tmp_path: Path) -> None:
    pids = tmp_path / "pids.txt"
    cli = make_project(
        f"""
        import os, time
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{os.getppid()}}")
        time.sleep(120)
        """
    )
    process = start(cli, tmp_path / "preview.log", "preview")
    try:
        wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, 60, "the program's start")
        program, host = (int(pid) for pid in pids.read_text().split())
        process.kill()
        process.wait(timeout=10)
        wait_for(lambda: not alive(host) and not alive(program), 15, "the host's and the program's exit")
    finally:
        if process.poll() is None:
            process.kill()


def test_a_relative_virtualenv_is_created_at_the_project_root(make_project: Make) -> None:
    """`virtualenv: venv` with `main: src`: the folder is the project root's, made by `pulumi install`
    (pip from PyPI) and filled from the program folder's requirements.txt."""
    cli = make_project(
        "", virtualenv="venv", main="src", files={"requirements.txt": "# nothing beyond pip\n"}
    )
    result = cli.run("install", stack_flag=False, timeout=300)
    assert result.ok, result.output
    assert (cli.project_dir / "venv" / "bin" / "python").is_file()
    assert not (cli.project_dir / "src" / "venv").exists()
    assert "Finished installing dependencies" in result.output
    about = cli.run("about", "--json", merge=False).check()
    assert json.loads(about.output)["runtime"]["executable"] == str(
        cli.project_dir / "venv" / "bin" / "python"
    )

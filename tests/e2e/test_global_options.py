"""Global options (`--config`, `--log-format`, `-v`, `-q`) work before or after any subcommand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from prm_sync.cli.main import cli, run

GLOBAL_OPTIONS = (("-v",), ("-vv",), ("--verbose",), ("-q",), ("--quiet",), ("--log-format", "json"),
                  ("--log-format", "text"), ("--config", "elsewhere.yaml"))


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the click tree, nested groups included (the lazy ones are loaded)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def test_the_tree_is_enumerated_deeply() -> None:
    paths = set(command_paths(cli))
    assert {("sync",), ("partners", "list"), ("partners", "contracts", "add"), ("errors", "retry"),
            ("leads", "import")} <= paths
    assert len(paths) > 40


@pytest.mark.parametrize("path", sorted(command_paths(cli)), ids=" ".join)
def test_every_command_accepts_every_global_option_after_it(path: tuple[str, ...],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for option in GLOBAL_OPTIONS:
        code = run([*path, *option, "--help"])
        out, err = capsys.readouterr()
        assert code == 0 and "No such option" not in err, f"prm-sync {' '.join(path)} {' '.join(option)}: {err}"
        assert "Usage: prm-sync" in out


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init", str(tmp_path / "prm")]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no config.yaml here: only --config can find it
    capsys.readouterr()
    return tmp_path / "prm" / "config.yaml"


def test_config_and_quiet_after_a_nested_subcommand_take_effect(site: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["partners", "add", "Ölwerk GmbH", "--config", str(site), "-q"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert run(["partners", "add", "Acme", "--config", str(site)]) == 0
    assert "added partner" in capsys.readouterr().out
    assert run(["partners", "list", "--format", "json", "--config", str(site)]) == 0
    names = [p["name"] for p in json.loads(capsys.readouterr().out)]
    assert sorted(names) == ["Acme", "Ölwerk GmbH"]
    # the root's --config is overridden by the one after the subcommand
    assert run(["--config", "missing.yaml", "partners", "list", "-q", "--config", str(site)]) == 0


def test_log_format_and_verbose_after_the_subcommand_configure_logging(site: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["partners", "show", "nobody", "--log-format", "json", "--config", str(site)])
    _, err = capsys.readouterr()
    assert code == 2
    record = json.loads(err.strip().splitlines()[-1])
    assert record["level"] == "error" and "nobody" in record["msg"]
    code = run(["--log-format", "json", "partners", "show", "nobody", "--log-format", "text", "--config", str(site)])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error:")


def test_verbose_counts_add_up(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from prm_sync.ops import logsetup

    assert run(["-v", "partners", "list", "-v", "--config", str(site)]) == 0
    assert logsetup._state["verbose"] == 2

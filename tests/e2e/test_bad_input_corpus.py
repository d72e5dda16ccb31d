"""Every malformed config and mapping in tests/e2e/corpus is refused with exit 2 and `FILE:LINE: path`.

Each corpus file states what is expected in its first lines:
    # expect: LINE: dotted.path
    # message: a fragment of the message
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prm_sync.cli.main import run

CORPUS = Path(__file__).parent / "corpus"
CONFIGS = sorted((CORPUS / "config").glob("*.yaml"))
MAPPINGS = sorted((CORPUS / "mappings").glob("*.yaml"))


def expectations(path: Path) -> tuple[int, str, str]:
    head = path.read_text(encoding="utf-8").splitlines()[:2]
    expect = re.fullmatch(r"# expect: (\d+): ?(.*)", head[0])
    message = re.fullmatch(r"# message: (.*)", head[1])
    assert expect and message, f"{path.name} lacks its '# expect:' / '# message:' header"
    return int(expect.group(1)), expect.group(2).strip(), message.group(1).strip()


def test_the_corpus_is_big_enough() -> None:
    assert len(CONFIGS) + len(MAPPINGS) >= 20


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_bad_config_is_refused_with_its_location(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-test-token")
    monkeypatch.delenv("PRM_TEST_SURELY_UNSET_TOKEN", raising=False)
    line, dotted, fragment = expectations(path)
    code = run(["--config", str(path), "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    where = f"{path}:{line}: {dotted}".rstrip()
    assert where in err, f"expected {where!r} in:\n{err}"
    assert fragment in err
    assert "Traceback" not in err
    assert "pat-test-token" not in err


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.stem)
def test_bad_mapping_is_refused_with_its_location(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-test-token")
    config = tmp_path / "config.yaml"
    config.write_text(
        "crm:\n  type: hubspot\n  hubspot: {access_token: \"${HUBSPOT_ACCESS_TOKEN}\"}\n"
        f"mappings: {path}\n",
        encoding="utf-8",
    )
    line, dotted, fragment = expectations(path)
    code = run(["--config", str(config), "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    where = f"{path}:{line}: {dotted}".rstrip()
    assert where in err, f"expected {where!r} in:\n{err}"
    assert fragment in err
    assert "Traceback" not in err

"""Outputs are written whole or not at all, and a path that cannot be written is refused."""

from __future__ import annotations

import pytest

from biasaudit import ValidationError
from biasaudit._io import atomic_path, write_text_atomic
from biasaudit.cli import main


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path) -> None:
    target = tmp_path / "report.html"
    target.write_text("the accepted report", encoding="utf-8")
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_text("half a rep", encoding="utf-8")
        raise OSError(28, "No space left on device")
    assert target.read_text(encoding="utf-8") == "the accepted report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_replaces_whole(tmp_path) -> None:
    target = tmp_path / "out.json"
    write_text_atomic(target, "{}\n")
    write_text_atomic(target, '{"a": 1}\n')
    assert target.read_text(encoding="utf-8") == '{"a": 1}\n'


def test_outputs_get_the_permissions_a_plain_write_gives(tmp_path) -> None:
    # The temporary file behind an atomic write is private (0600); the report must not be.
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    new, kept = tmp_path / "new.html", tmp_path / "kept.html"
    write_text_atomic(new, "report")
    assert new.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o640)
    with atomic_path(kept) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert kept.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("where", "problem"),
    [("missing/report.html", "does not exist"), (".", "it is a folder")],
)
def test_unwritable_paths_are_refused(tmp_path, where, problem) -> None:
    with pytest.raises(ValidationError) as info:
        write_text_atomic(tmp_path / where, "x")
    assert problem in str(info.value) and "Pass a file path in an existing folder." in str(
        info.value
    )


@pytest.mark.parametrize("flag", ["--html", "--markdown", "--csv", "--json"])
def test_the_cli_refuses_an_output_in_a_missing_folder(tmp_path, capsys, flag) -> None:
    target = tmp_path / "nowhere" / "out"
    code = main(["audit", "--example", "resume-study", "--quiet", flag, str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("biasaudit: error: Cannot write") and "does not exist" in err
    assert "Traceback" not in err


def test_outputs_of_one_command_are_all_or_nothing(tmp_path, capsys) -> None:
    """One unwritable output: none is written, and an older report stays whole."""
    html = tmp_path / "report.html"
    html.write_text("the accepted report", encoding="utf-8")
    code = main(
        [
            "audit",
            "--example",
            "resume-study",
            "--quiet",
            "--html",
            str(html),
            "--markdown",
            str(tmp_path / "r.md"),
            "--csv",
            str(tmp_path / "missing" / "x.csv"),
        ]
    )
    assert code == 2
    assert "Cannot write" in capsys.readouterr().err
    assert html.read_text(encoding="utf-8") == "the accepted report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_cli_says_where_each_output_went(tmp_path, capsys) -> None:
    paths = {flag: tmp_path / name for flag, name in (("--html", "r.html"), ("--json", "r.json"))}
    args = [x for flag, path in paths.items() for x in (flag, str(path))]
    assert main(["audit", "--example", "resume-study", *args]) == 0
    err = capsys.readouterr().err
    assert f"biasaudit: wrote the HTML report to {paths['--html']}\n" in err
    assert f"biasaudit: wrote the JSON result to {paths['--json']}\n" in err
    assert all(p.stat().st_size > 0 for p in paths.values())

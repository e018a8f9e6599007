"""The `zoo` command line: list, info, and clear errors (a message on stderr, a non-zero
exit status, no traceback)."""

import subprocess
import sys

import pytest

import zoo
from zoo.cli import main


def _no_traceback(captured):
    assert "Traceback" not in captured.out + captured.err


def test_list_prints_every_registered_family(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines()[1:]]
    assert listed == zoo.list()
    assert out.splitlines()[0].split() == ["name", "cell", "title", "tasks", "group"]


def test_info_prints_the_hyperparameters_and_the_references(capsys):
    assert main(["info", "extreme-learning-machine"]) == 0
    out = capsys.readouterr().out
    for key, value in zoo.get("elm").get_params().items():
        assert f"  {key} = {value!r}" in out
    assert "Huang, Zhu & Siew (2006). Extreme learning machine: theory and applications." in out
    assert "benchmark: accuracy on digits" in out


@pytest.mark.parametrize("argv,message", [
    (["bench", "no-such-family"], "unknown family 'no-such-family'"),
    (["bench", "perceptorn"], "Did you mean 'perceptron'"),
    (["info", "no-such-family"], "unknown family 'no-such-family'"),
])
def test_an_unknown_family_is_a_clear_error(tmp_path, capsys, argv, message):
    assert main([*argv, *(["--out", str(tmp_path / "out")] if argv[0] == "bench" else [])]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("zoo: error: ") and message in captured.err
    _no_traceback(captured)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv,message", [
    (["bench", "--n-jobs", "0"], "--n-jobs: expected a non-zero integer"),
    (["bench", "--n-jobs", "two"], "--n-jobs: expected an integer, got 'two'"),
    (["bench", "--threads", "0"], "--threads: expected an integer >= 1"),
    (["bench", "--seed", "-1"], "--seed: expected an integer >= 0"),
    (["bench", "--fast"], "unrecognized arguments: --fast"),
    (["report", "extra"], "unrecognized arguments: extra"),
    (["demo"], "invalid choice: 'demo'"),
    ([], "required: command"),
])
def test_a_bad_option_is_a_usage_error(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "usage: zoo" in captured.err and message in captured.err
    _no_traceback(captured)


@pytest.mark.parametrize("command", ["bench", "report"])
def test_an_unwritable_output_folder_is_a_clear_error(tmp_path, capsys, command):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("taken")
    args = [command, "perceptron"] if command == "bench" else [command]
    assert main([*args, "--out", str(not_a_folder)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("zoo: error: ") and str(not_a_folder) in captured.err
    _no_traceback(captured)


def test_report_without_results_says_to_run_bench_first(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "no benchmark results" in captured.err and "run zoo bench first" in captured.err


@pytest.mark.parametrize("content,message", [
    ("{not json", "cannot read benchmark result"),
    ('{"schema": 1, "family": "rbf", "zoo": {}}', "it lacks cell, title"),
    ("[1, 2]", "it lacks schema"),
])
def test_a_corrupt_result_file_is_named(tmp_path, capsys, content, message):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "rbf.json").write_text(content)
    assert main(["report", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "rbf.json" in captured.err and message in captured.err
    _no_traceback(captured)


def test_python_dash_m_zoo_exits_non_zero_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "zoo", "bench", "no-such-family", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "unknown family 'no-such-family'" in done.stderr and "Traceback" not in done.stderr

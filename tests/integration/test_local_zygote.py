"""The e2e harness's clouds, forked from a zygote: each runs ``paotui_local``'s main with its own arguments,
environment and output, and one that fails to start says why."""

from __future__ import annotations

import os

import pytest

from paotui_local.harness import Zygote, start_cloud


@pytest.fixture(scope="module")
def zygote() -> Zygote:
    return Zygote()


def test_a_forked_cloud_runs_main_with_the_callers_arguments_and_writes_to_its_own_pipe(zygote):
    process = zygote.start(["--help"], dict(os.environ))
    with process.stdout:
        output = process.stdout.read()  # until the child, its last writer, has exited
    assert output.startswith("usage: paotui-local")
    process.wait()
    assert process.poll() is not None


def test_each_cloud_gets_the_environment_it_was_started_with_and_no_other(zygote):
    first = zygote.start([], {**os.environ, "PAOTUI_LOCAL_LOG_LEVEL": "FIRST"})
    second = zygote.start([], {**os.environ, "PAOTUI_LOCAL_LOG_LEVEL": "SECOND"})
    with first.stdout, second.stdout:
        first_output, second_output = first.stdout.read(), second.stdout.read()
    assert "Unknown level: 'FIRST'" in first_output
    assert "Unknown level: 'SECOND'" in second_output and "FIRST" not in second_output


def test_a_cloud_that_cannot_start_fails_its_start_with_the_reason(monkeypatch):
    monkeypatch.setenv("PAOTUI_LOCAL_LOG_LEVEL", "NOPE")
    with pytest.raises(RuntimeError, match="the local cloud exited") as failure, start_cloud():
        pass
    assert "Unknown level: 'NOPE'" in str(failure.value)

"""The examples run and check themselves."""

import importlib.util
import pathlib

import pytest

import atomics

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tagged_stack_hands_out_every_slot_once():
    try:
        atomics.Alignment(16)
    except atomics.exc.UnsupportedWidthException:
        pytest.skip("no 16-byte compare-exchange on this CPU")
    load("tagged_stack").main(slots=6, threads=4, rounds=5_000)

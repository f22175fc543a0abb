"""Liveness fixtures: the test photos (in the repository) and their templates, computed once
per test run."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from liveness.imaging import PhotoRules, PhotoVerdict, judge_photo

# Kept in the repository (see faces/SOURCES.md): the suite reads nothing outside the checkout.
FACES = Path(__file__).resolve().with_name("faces")


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted(FACES.glob("*.jpg"))}


@pytest.fixture(scope="session")
def judged(photos: dict[str, bytes]) -> dict[str, PhotoVerdict]:
    """Every test photo judged once (dlib is slow on two shared cores)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: judge_photo(data, PhotoRules()) for name, data in photos.items()}


@pytest.fixture(scope="session")
def templates(judged: dict[str, PhotoVerdict]) -> dict[str, list[float]]:
    return {name: v.template for name, v in judged.items() if v.template is not None}

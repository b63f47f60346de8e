"""The common-word rule's frequencies come from the word list shipped in the package (generated
from wordfreq by bench/common_words.py, which also checks it against wordfreq itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newswatch.config import ConfigError, load_settings
from newswatch.watchlists.common_words import DATA, FLOOR, zipf
from tests.support.paths import CONFIG


def test_everyday_words_rate_as_wordfreq_rates_them() -> None:
    # the values wordfreq 3.1 gives (two decimals, as it rounds them)
    assert zipf("the") == 7.73
    assert zipf("focus") == 5.0
    assert zipf("Apple") == 4.76  # asked in any case
    assert zipf("shell") == 4.39


def test_names_rarer_than_the_floor_rate_zero() -> None:
    assert zipf("xiaomi") == 3.01 and zipf("huawei") == 3.28  # just above the floor
    assert zipf("rosneft") == 0.0 and zipf("sberbank") == 0.0  # below it: not in the list
    assert zipf("qzxwvt") == 0.0


def test_numbers_rate_by_their_shape_and_value() -> None:
    # a year of the present is far more common than an old one or a long number
    assert zipf("2021") == 4.71 and zipf("1999") == 4.55 and zipf("78") == 4.6
    assert zipf("123456") == 0.0


def test_the_shipped_list_is_package_data_and_small() -> None:
    assert DATA.is_file() and DATA.stat().st_size < 512 * 1024
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"watchlists/data/*.txt"' in pyproject and "wordfreq" not in pyproject


def test_a_threshold_below_the_shipped_floor_is_refused_with_the_reason(tmp_path: Path) -> None:
    cdir = tmp_path / "config"
    cdir.mkdir()
    for f in CONFIG.glob("*.yaml"):
        (cdir / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    settings = yaml.safe_load((cdir / "settings.yaml").read_text(encoding="utf-8"))
    settings["matching"]["common_word_zipf"] = FLOOR - 0.5
    (cdir / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cdir)
    assert "common_word_zipf" in str(err.value) and "3" in str(err.value)

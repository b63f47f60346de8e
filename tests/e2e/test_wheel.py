"""The package as a deploying engineer gets it: a wheel built from the source tree, installed into a
fresh virtualenv outside the checkout, runs ``demo``, ``rules check`` and ``init-config`` from its
package data alone (no ``config/`` or fixtures beside it)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_demo import DEMO_ALERT_COUNT
from tests.support.paths import CONFIG, ROOT

pytestmark = pytest.mark.slow

# what a copy of the source tree leaves out: local state, never part of a build
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "*.db", ".pytest_cache", ".ruff_cache"
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the fresh virtualenv's bin directory, the environment to run it with)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)  # build from a copy: the checkout stays untouched
    dist = tmp / "dist"
    build = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        tmp,
        dict(os.environ),
        300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("newswatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "newswatch/defaults/settings.yaml" in names and "newswatch/demo/pages/manifest.json" in names

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / "bin"
    # the dependencies come from this test run's environment (a .pth, as --system-site-packages
    # would): only the wheel itself is installed, without touching an index
    purelib = Path(
        _run(
            [str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            tmp,
            {},
            60,
        ).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (purelib / "newswatch-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    inst = _run([str(bindir / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], tmp, {}, 300)
    assert inst.returncode == 0, inst.stderr

    work = tmp / "elsewhere"  # outside the checkout, no config/ in sight
    work.mkdir()
    env = {
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(work),
        "LANG": "C.UTF-8",
    }
    where = _run([str(bindir / "python"), "-c", "import newswatch; print(newswatch.__file__)"], work, env, 60)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr
    return bindir, env


def test_the_installed_wheel_checks_its_bundled_rules(installed):
    bindir, env = installed
    work = Path(env["HOME"])
    res = _run([str(bindir / "newswatch"), "rules", "check"], work, env, 120)
    assert res.returncode == 0, res.stdout + res.stderr
    # the rules read are the wheel's own package data
    assert "site-packages/newswatch/defaults/rules.yaml" in res.stdout and "rules OK" in res.stdout


def test_the_installed_wheel_runs_the_demo_from_its_package_data(installed):
    bindir, env = installed
    work = Path(env["HOME"])
    res = _run([str(bindir / "newswatch"), "--db", "demo.db", "demo"], work, env, 420)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[0].endswith("(finished)")
    assert f'"pending": {DEMO_ALERT_COUNT}' in res.stdout  # the same alerts as the demo from the checkout
    assert "Northbay Semiconductor Inc put on a government list" in res.stderr


def test_init_config_writes_an_editable_copy_the_installed_wheel_then_reads(installed):
    bindir, env = installed
    work = Path(env["HOME"])
    res = _run([str(bindir / "newswatch"), "init-config", "mycfg"], work, env, 60)
    assert res.returncode == 0, res.stderr
    bundled = sorted(p.name for p in CONFIG.glob("*.yaml"))  # every default file, as the checkout has them
    assert "settings.yaml" in bundled and "rules.yaml" in bundled
    assert sorted(p.name for p in (work / "mycfg").iterdir()) == bundled
    again = _run([str(bindir / "newswatch"), "init-config", "mycfg"], work, env, 60)
    assert again.returncode == 2 and "already holds" in again.stderr and "--force" in again.stderr
    # an edit in the copy is what the command now reads: a broken rules file is refused
    rules = work / "mycfg" / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("{action: alert", "{action: alrt", 1), encoding="utf-8")
    broken = _run([str(bindir / "newswatch"), "--config", "mycfg", "rules", "check"], work, env, 120)
    assert broken.returncode == 2 and "mycfg/rules.yaml" in broken.stderr

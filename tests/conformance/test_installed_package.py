"""The bundled scenarios ship inside the installed package (``conformance.scenarios``, mapped to
``fixtures/scenarios`` by pyproject.toml), so that the pytest plugin and ``toluna-conformance`` find them in a
partner's own virtualenv, far from this repository.

The wheel's payload is what setuptools' ``build_py`` lays out (``bdist_wheel`` zips that tree with the dist-info), so
the test lays it out with the setuptools of the test environment, from a copy of the sources: offline, and without
writing ``build/`` or ``*.egg-info`` into the working tree. (``pip wheel --no-build-isolation`` needs the ``wheel``
package, which the project's virtualenv does not have; with build isolation it needs the network.)
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from tests.support import ROOT

SCENARIOS = ROOT / "fixtures" / "scenarios"
BUNDLED = ("conformance.yaml", "default.yaml")
PACKAGES = ("simulator", "conformance")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed package tree as the wheel holds it (site-packages' view)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")
    for tree in (*PACKAGES, "fixtures/scenarios"):
        shutil.copytree(ROOT / tree, source / tree, ignore=junk)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    lib = tmp / "lib"
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "--quiet", "build_py", "--build-lib", lib],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return lib


def test_the_wheel_holds_the_bundled_scenarios_in_the_package(built: Path) -> None:
    for name in BUNDLED:
        shipped = built / "conformance" / "scenarios" / name
        assert shipped.is_file(), f"{name} is not in the wheel under conformance/scenarios/"
        assert filecmp.cmp(shipped, SCENARIOS / name, shallow=False)
    assert (built / "conformance" / "scenarios" / "__init__.py").is_file()
    assert not (built / "fixtures").exists()  # no top-level 'fixtures' package in the partner's site-packages


def test_the_wheel_holds_every_module_of_the_packages(built: Path) -> None:
    """pyproject.toml lists the packages (a search cannot find conformance.scenarios): one left out is caught here."""
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts and not (built / path.relative_to(ROOT)).is_file()
    ]
    assert not missing, f"not in the wheel (add their packages to [tool.setuptools] packages): {missing}"


def test_importlib_resources_finds_the_scenarios_in_the_source_tree() -> None:
    from conformance.config import BUNDLED_SCENARIO
    from conformance.pytest_plugin import DEFAULT_SCENARIO

    found = resources.files("conformance.scenarios")
    assert Path(str(found)).resolve() == SCENARIOS
    assert all(found.joinpath(name).is_file() for name in BUNDLED)
    assert BUNDLED_SCENARIO.resolve() == SCENARIOS / "conformance.yaml"
    assert DEFAULT_SCENARIO.resolve() == SCENARIOS / "default.yaml"

"""The import-linter contracts: every module has a layer, and a wrong arrow breaks the check."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import stoat_ferret

PACKAGE = Path(stoat_ferret.__file__).resolve().parent
REPO = PACKAGE.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contracts() -> dict[str, dict[str, object]]:
    with open(REPO / "pyproject.toml", "rb") as f:
        config = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract for contract in config}


def layered_modules() -> set[str]:
    layers = contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}


def package_modules() -> set[str]:
    """Every module of the package; a package counts by its own name only if it has code."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            continue
        found.add(".".join(parts))
    return found


def covered(module: str, layered: set[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in layered)


def test_every_module_has_a_layer() -> None:
    """Each module is in the layers contract, itself or through its package."""
    layered = layered_modules()
    assert sorted(m for m in package_modules() if not covered(m, layered)) == []
    assert sorted(m for m in layered if not any(covered(p, {m}) for p in package_modules())) == []


def test_the_pure_contract_lists_the_pure_layers() -> None:
    """The modules held to "no I/O" are exactly those of the layers below the I/O ones."""
    layers = contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    first_pure = next(i for i, layer in enumerate(layers) if "events.payloads" in layer)
    pure = {name.strip() for layer in layers[first_pure:] for name in layer.split(":")}
    assert set(contracts()["pure"]["source_modules"]) == pure  # type: ignore[arg-type]


def run_lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "stoat_ferret", ignore=shutil.ignore_patterns("web"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}  # planted\n")


def test_the_package_keeps_its_contracts(tmp_path: Path) -> None:
    """lint-imports passes on the package as it is (checked on a copy, as the tests below)."""
    done = run_lint_imports(copy_of_the_package(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_an_import_pointing_up_a_layer_breaks_the_check(tmp_path: Path) -> None:
    """A pure model importing the API fails lint-imports, naming the import."""
    root = copy_of_the_package(tmp_path)
    plant(root, "stoat_ferret.jobs.models", "from ..api import schemas")
    done = run_lint_imports(root)
    assert done.returncode == 1
    assert "stoat_ferret.jobs.models is not allowed to import stoat_ferret.api" in done.stdout


def test_the_runner_may_not_know_events(tmp_path: Path) -> None:
    """The runner importing the event sink (a sibling in its layer) fails lint-imports."""
    root = copy_of_the_package(tmp_path)
    plant(root, "stoat_ferret.jobs.runner", "from ..events import jobs")
    done = run_lint_imports(root)
    assert done.returncode == 1
    assert "stoat_ferret.jobs.runner is not allowed to import stoat_ferret.events.jobs" in (
        done.stdout
    )


def test_io_in_a_pure_module_breaks_the_check(tmp_path: Path) -> None:
    """A pure module importing subprocess fails lint-imports."""
    root = copy_of_the_package(tmp_path)
    plant(root, "stoat_ferret.scan.plan", "import subprocess")
    done = run_lint_imports(root)
    assert done.returncode == 1
    assert "stoat_ferret.scan.plan is not allowed to import subprocess" in done.stdout

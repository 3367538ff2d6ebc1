"""The house's arrows point one way (ARCHITECTURE.md): an import against them fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "carereview",
    "plaintext",
    "recommendations",
    "responses",
    "browse",
    "api",
    "matching",
    "ops",
)

# What each package may not import.
FORBIDDEN = {
    "carereview": {"recommendations", "responses", "browse", "api", "matching", "ops"},
    "plaintext": {
        "carereview",
        "recommendations",
        "responses",
        "browse",
        "api",
        "matching",
        "ops",
        "django",
    },
    "recommendations": {"responses", "browse", "api", "matching", "ops"},
    "responses": {"browse", "api", "ops"},
    "browse": {"api", "ops"},
    # The API reads through the models and parses with the pages' filters (`browse`).
    "api": {"ops"},
    "matching": {"carereview", "recommendations", "responses", "browse", "api", "ops", "django"},
    "ops": set(),
}

# The one import against the arrows: settings reads the documented limits (constants that
# import nothing) to set Django's request limits from them.
ALLOWED = {"carereview/settings.py": {"responses"}}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages that the module at `path` imports, relative imports
    resolved to its own package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add(path.relative_to(ROOT).parts[0])
            elif node.module:
                found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_against_the_arrows(package):
    against = {
        str(path.relative_to(ROOT)): sorted(
            imported_packages(path)
            & FORBIDDEN[package] - ALLOWED.get(str(path.relative_to(ROOT)), set())
        )
        for path in modules(package)
    }
    assert {module: names for module, names in against.items() if names} == {}


def test_the_check_sees_imports_relative_and_absolute():
    # matching/__init__.py imports its own modules relatively.
    assert "matching" in imported_packages(ROOT / "matching" / "__init__.py")
    assert {"responses", "django"} <= imported_packages(ROOT / "responses" / "models.py")


def test_settings_imports_only_the_limits_of_responses():
    tree = ast.parse((ROOT / "carereview" / "settings.py").read_text())
    from_responses = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("responses")
    ]
    assert [(node.module, [alias.name for alias in node.names]) for node in from_responses] == [
        ("responses", ["limits"])
    ]
    assert imported_packages(ROOT / "responses" / "limits.py") == set()

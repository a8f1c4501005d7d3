"""Reading the launch files without launch_ros (not installable here): their syntax tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def parse_launch_file(name: str) -> ast.Module:
    """launch/<name>, compiled (a syntax error fails) and parsed."""
    path = ROOT / "launch" / name
    source = path.read_text()
    compile(source, str(path), "exec")
    return ast.parse(source)


def calls_to(tree: ast.AST, name: str) -> list[ast.Call]:
    """Every call of a function or method called `name` in `tree`."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def function(tree: ast.Module, name: str) -> ast.FunctionDef:
    """The module-level function `name`."""
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)

"""Checks that the modules of src/ depend one way: no import cycle, and no layer that reaches up.

Every .rs file of src/ is a module (`src/protocol/mod.rs` is `protocol`, `src/resources/replica_key/
plan.rs` is `resources::replica_key::plan`). A module depends on another when its code (test code
left out: `tests/` folders, `test_support.rs` and inline `#[cfg(test)] mod tests`) names it as
`crate::...` or `super::...`. The script prints the module graph's edges between top-level modules,
then fails on any cycle among modules and on any dependency that LAYERS forbids.

    python3 tests/layers/check_layers.py [src]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# What each top-level module may depend on (besides itself). A module not listed may depend on nothing
# in the crate: the leaves.
LAYERS = {
    "main": {"app", "logging"},
    "app": {"aws", "https", "metrics", "protocol", "resources", "region", "error"},
    "resources": {"aws", "protocol", "progress", "metrics", "region", "error"},
    "protocol": {"progress", "metrics", "https", "region", "error"},
    "aws": {"progress", "metrics", "https", "error"},
    "lib": {"app", "aws", "error", "https", "logging", "metrics", "progress", "protocol", "region", "resources"},
}

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)
INLINE_TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", re.S)
COMMENT = re.compile(r"//[^\n]*")
CHILD = re.compile(r"(?<![:\w])([a-z_][a-z0-9_]*)::")


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["main"], ["lib"]):
        return (parts[0],)
    return tuple(parts)


def is_test_file(module: tuple[str, ...]) -> bool:
    return "tests" in module or module[-1] == "test_support"


def code_of(file: Path) -> str:
    text = COMMENT.sub("", file.read_text())
    match = INLINE_TESTS.search(text)
    return text[: match.start()] if match else text


def references(module: tuple[str, ...], code: str, is_dir_module: bool) -> set[tuple[str, ...]]:
    """Every module path the code names, made absolute."""
    found: set[tuple[str, ...]] = set()
    # `super` of a file module is its parent; of a `mod.rs` (or lib/main) module, its parent too.
    base_for_super = module[:-1]

    def absolute(root: str, rest: list[str]) -> tuple[str, ...]:
        return tuple(rest) if root == "crate" else base_for_super + tuple(rest)

    for root, prefix, body in GROUP.findall(code):
        head = [p for p in prefix.split("::") if p]
        for item in re.split(r",(?![^{]*\})", body):
            item = item.strip()
            if not item or item == "self":
                found.add(absolute(root, head))
                continue
            path = re.split(r"::\{", item)[0]
            found.add(absolute(root, head + [p for p in path.split("::") if p and p != "self"]))
    for root, rest in PATH.findall(GROUP.sub("", code)):
        parts = [p for p in rest.split("::") if p and p != "{"]
        found.add(absolute(root, parts))
    # A path through a child module (`pub use spec::Spec;`, `plan::plan_update(...)`) names it too.
    for child in CHILD.findall(code):
        found.add(module + (child,))
    return found


def resolve(path: tuple[str, ...], modules: set[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The longest known module that `path` starts with (`crate::aws::kms::Kms` is `aws::kms`)."""
    for end in range(len(path), 0, -1):
        if path[:end] in modules:
            return path[:end]
    return None


def cycles(graph: dict[tuple[str, ...], set[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[tuple[str, ...], int] = {}
    low: dict[tuple[str, ...], int] = {}
    stack: list[tuple[str, ...]] = []
    on_stack: set[tuple[str, ...]] = set()
    found: list[list[tuple[str, ...]]] = []

    def visit(node: tuple[str, ...]) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reexports(src: Path) -> dict[str, tuple[str, ...]]:
    """Names the crate root re-exports (`pub use error::Error;` makes `crate::Error` the error module)."""
    lib = src / "lib.rs"
    text = lib.read_text() if lib.exists() else ""
    return {m.group(2): tuple(m.group(1).split("::")) for m in re.finditer(r"pub use ([\w:]+)::(\w+);", text)}


def check(src: Path) -> list[str]:
    files = {module_of(src, f): f for f in sorted(src.rglob("*.rs"))}
    modules = set(files)
    aliases = reexports(src)
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for module, file in files.items():
        if is_test_file(module):
            continue
        targets = set()
        for path in references(module, code_of(file), file.name == "mod.rs"):
            if path and path[0] in aliases:
                path = aliases[path[0]] + path[1:]
            target = resolve(path, modules)
            if target is None or target == module or is_test_file(target):
                continue
            targets.add(target)
        graph[module] = targets
    problems = [
        "import cycle: " + " -> ".join("::".join(m) for m in component) for component in cycles(graph)
    ]
    edges = sorted({(m[0], t[0]) for m, ts in graph.items() for t in ts if m[0] != t[0]})
    for source, target in edges:
        allowed = LAYERS.get(source, set())
        if target not in allowed:
            culprits = sorted("::".join(m) for m, ts in graph.items() if m[0] == source and any(t[0] == target for t in ts))
            problems.append(f"{source} must not depend on {target} (in {', '.join(culprits)})")
    print("module dependencies:", ", ".join(f"{s} -> {t}" for s, t in edges))
    print(f"{len(graph)} modules checked")
    return problems


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "src"
    problems = check(src)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

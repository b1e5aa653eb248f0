"""The layer check finds what it exists to find: a cycle, a layer that reaches up; and passes src/."""

from __future__ import annotations

from pathlib import Path

import check_layers

ROOT = Path(__file__).resolve().parents[2]


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return src


def test_the_project_src_has_no_cycle_and_no_upward_dependency():
    assert check_layers.check(ROOT / "src") == []


def test_a_cycle_through_a_parent_module_is_found(tmp_path):
    src = tree(tmp_path, {
        "lib.rs": "pub mod resources;\n",
        "resources/mod.rs": "pub mod spec;\npub use spec::Spec;\npub const NAME: &str = \"x\";\n",
        "resources/spec.rs": "use super::NAME;\npub struct Spec;\n",
    })
    problems = check_layers.check(src)
    assert problems == ["import cycle: resources -> resources::spec"]


def test_the_protocol_may_not_reach_a_resource_or_an_aws_client(tmp_path):
    src = tree(tmp_path, {
        "lib.rs": "pub mod protocol;\npub mod resources;\npub mod aws;\n",
        "protocol/mod.rs": "use crate::resources::dispatch;\nuse crate::aws::Clients;\n",
        "resources/mod.rs": "pub fn dispatch() {}\n",
        "aws/mod.rs": "pub struct Clients;\n",
    })
    problems = check_layers.check(src)
    assert "protocol must not depend on aws (in protocol)" in problems
    assert "protocol must not depend on resources (in protocol)" in problems


def test_test_code_and_comments_are_left_out(tmp_path):
    src = tree(tmp_path, {
        "lib.rs": "pub mod protocol;\npub mod app;\n",
        "protocol/mod.rs": "// crate::app::App is what main runs\n#[cfg(test)]\nmod tests {\n    use crate::app::App;\n}\n",
        "protocol/tests.rs": "use crate::app::App;\n",
        "app.rs": "use crate::protocol;\npub struct App;\n",
    })
    assert check_layers.check(src) == []


def test_grouped_imports_count_each_module(tmp_path):
    src = tree(tmp_path, {
        "lib.rs": "pub mod aws;\npub mod app;\npub mod protocol;\n",
        "aws/mod.rs": "use crate::{app::App, protocol::{self}};\n",
        "app.rs": "pub struct App;\n",
        "protocol/mod.rs": "\n",
    })
    problems = check_layers.check(src)
    assert "aws must not depend on app (in aws)" in problems
    assert "aws must not depend on protocol (in aws)" in problems

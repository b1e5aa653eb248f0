"""The layer check finds what it exists to find: a cycle, a layer that reaches up; and passes src/."""

from __future__ import annotations

from pathlib import Path

import check_layers
import pytest

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


def test_test_code_and_comments_are_left_out(tmp_path):
    src = tree(tmp_path, {
        "lib.rs": "pub mod protocol;\npub mod app;\n",
        "protocol/mod.rs": "// crate::app::App is what main runs\n#[cfg(test)]\nmod tests {\n    use crate::app::App;\n}\n",
        "protocol/tests.rs": "use crate::app::App;\n",
        "app.rs": "use crate::protocol;\npub struct App;\n",
    })
    assert check_layers.check(src) == []


@pytest.mark.parametrize("files, expected", [
    pytest.param({
        "lib.rs": "pub mod protocol;\npub mod resources;\npub mod aws;\n",
        "protocol/mod.rs": "use crate::resources::dispatch;\nuse crate::aws::Clients;\n",
        "resources/mod.rs": "pub fn dispatch() {}\n",
        "aws/mod.rs": "pub struct Clients;\n",
    }, ["protocol must not depend on aws (in protocol)", "protocol must not depend on resources (in protocol)"],
        id="the protocol may not reach a resource or an AWS client"),
    pytest.param({
        "lib.rs": "pub mod aws;\npub mod app;\npub mod protocol;\n",
        "aws/mod.rs": "use crate::{app::App, protocol::{self}};\n",
        "app.rs": "pub struct App;\n",
        "protocol/mod.rs": "\n",
    }, ["aws must not depend on app (in aws)", "aws must not depend on protocol (in aws)"],
        id="grouped imports count each module"),
])
def test_an_upward_dependency_is_found(tmp_path, files, expected):
    assert check_layers.check(tree(tmp_path, files)) == expected

"""Every snippet of the documentation runs (`make snippets`): each YAML block that is a CloudFormation
template or a fragment of one is linted with cfn-lint and the project's rules (cfn-lint-rules/), and each
TypeScript block is compiled and synthesized against the CDK constructs as they are in cdk/, and each
Python block is run in a stack of an app with the built wheel installed.

- YAML: a block whose top level is a template's sections is a template; a block of resources (a fragment
  of `Resources`) is put under `Resources:`. What a fragment names but does not declare is declared for
  it: a parameter for each `Ref`, a stand-in custom resource for each `Fn::GetAtt`, so that only what the
  snippet shows is judged. A resource whose text elides some of itself (`...`, as in `# ...` or
  `KeyPolicy: { ... }`) is not asked for the required properties it leaves out. Names of
  SSM parameters are checked against template.yaml's default ParameterPrefix, as a deployment with the
  defaults would check them (rule E9106, configured).
- TypeScript: each block becomes the body of a stack's constructor in an app of its own (`this` is a
  stack in us-east-1); what it uses without declaring (`keysStack`, `appStack`, `worker`, `key`, ...) is
  declared before it, and the modules it uses without importing are imported. The apps are compiled
  strictly with cdk/'s TypeScript and synthesized; constructs come from the package's public index
  (`mrk-provider-cdk`), so the constructs' own synth-time checks run on every snippet.

A block can opt out with an HTML comment on the line before it: `<!-- snippet: not a template -->` (YAML
that is not CloudFormation) or `<!-- snippet: not runnable -->` (a TypeScript shape, not code). Findings
are reported as `file:line` of the markdown.

- Python: each block becomes the body of a stack's constructor (`self` is a stack in us-east-1), with
  `aws_cdk`, `kms`, `iam`, `lambda_` and `ssm` imported, and is run with the interpreter `--python` names:
  one whose environment has the built wheel and aws-cdk-lib installed (make cdk-python-synth's).

Usage: python tools/snippets.py yaml|typescript [--list]; python tools/snippets.py python --python PYTHON
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", "SECURITY.md", "cdk/README.md",
             *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
TEMPLATE_SECTIONS = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
                     "Conditions", "Transform", "Resources", "Outputs"}
PSEUDO = re.compile(r"^AWS::")
STAND_IN_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:snippet-stand-in"


@dataclass
class Snippet:
    """A fenced block of a document: where it is and what it says."""

    document: str
    line: int  # the block's first line in the document (after the fence)
    language: str
    text: str
    opt_out: str | None = None

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def snippets(languages: set[str]) -> list[Snippet]:
    """Every fenced block of `languages` in the documents, with its opt-out comment if it has one."""
    found = []
    for document in DOCUMENTS:
        path = ROOT / document
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            fence = re.match(r"^```(\w+)\s*$", lines[index])
            if not fence:
                index += 1
                continue
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            language = fence.group(1)
            if language in languages:
                before = lines[index - 1] if index > 0 else ""
                opt_out = re.match(r"^<!-- snippet: (.*) -->$", before.strip())
                found.append(Snippet(document, index + 2, language, "\n".join(lines[index + 1:end]) + "\n",
                                     opt_out.group(1) if opt_out else None))
            index = end + 1
    return found


# --- YAML ------------------------------------------------------------------------------------------

@dataclass
class Wrapped:
    """A snippet as a whole template: its text, and for each of its lines the document line it came from
    (`None` for a line added around the snippet)."""

    snippet: Snippet
    lines: list[str] = field(default_factory=list)
    origin: list[int | None] = field(default_factory=list)
    elided: list[tuple[int, int]] = field(default_factory=list)  # template line ranges of eliding resources

    def add(self, text: str, origin: int | None) -> None:
        self.lines.append(text)
        self.origin.append(origin)


def references(node, refs: set[str], attributes: set[str]) -> None:
    """The names a template part uses: `Ref` targets and `Fn::GetAtt` resources."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                refs.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                if isinstance(target, str):
                    attributes.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    for name in re.findall(r"\$\{([^}!]+)\}", text):
                        (attributes if "." in name else refs).add(name.split(".")[0])
            references(value, refs, attributes)
    elif isinstance(node, list):
        for item in node:
            references(item, refs, attributes)


def wrap(snippet: Snippet) -> Wrapped | None:
    """The snippet as a template cfn-lint can lint; `None` when it is not CloudFormation."""
    from cfnlint.decode import cfn_yaml

    # `{ ... }` elides a value: it stands for any valid one (`{}` to the parser).
    text = snippet.text.replace("{ ... }", "{}")
    parsed = cfn_yaml.loads(text)
    if not isinstance(parsed, dict) or not parsed:
        return None
    source = text.splitlines()
    wrapped = Wrapped(snippet)
    if set(parsed) & TEMPLATE_SECTIONS:
        template = dict(parsed)
        for number, line in enumerate(source):
            wrapped.add(line, snippet.line + number)
    elif all(isinstance(v, dict) and "Type" in v for v in parsed.values()):
        template = {"Resources": dict(parsed)}
        indented = any(line.startswith("  ") and not line.lstrip().startswith("#") for line in source)
        wrapped.add("Resources:", None)
        for number, line in enumerate(source):
            wrapped.add(line if indented or not line.strip() else "  " + line, snippet.line + number)
    else:
        return None

    # Declare what the snippet names but does not declare.
    refs: set[str] = set()
    attributes: set[str] = set()
    references(template, refs, attributes)
    declared_parameters = set(template.get("Parameters") or {})
    resources = set(template.get("Resources") or {})
    missing_parameters = sorted(r for r in refs - declared_parameters - resources if not PSEUDO.match(r))
    missing_resources = sorted(attributes - resources)
    insert_at = next((i + 1 for i, line in enumerate(wrapped.lines) if line.rstrip() == "Resources:"), None)
    stand_ins = []
    for name in missing_resources:
        stand_ins += [f"  {name}:", "    Type: Custom::SnippetStandIn",
                      "    Properties:", f"      ServiceToken: {STAND_IN_TOKEN}"]
    if stand_ins:
        if insert_at is None:
            wrapped.add("Resources:", None)
            insert_at = len(wrapped.lines)
        wrapped.lines[insert_at:insert_at] = stand_ins
        wrapped.origin[insert_at:insert_at] = [None] * len(stand_ins)
    if missing_parameters:
        at = next((i + 1 for i, line in enumerate(wrapped.lines) if line.rstrip() == "Parameters:"), None)
        added = [f"  {name}:\n    Type: String" for name in missing_parameters]
        added_lines = "\n".join(added).splitlines()
        if at is None:
            wrapped.add("Parameters:", None)
            at = len(wrapped.lines)
        wrapped.lines[at:at] = added_lines
        wrapped.origin[at:at] = [None] * len(added_lines)

    # The resources that elide part of themselves (`...` on a line of theirs, as the snippet wrote it).
    original = snippet.text.splitlines()
    starts = [i for i, line in enumerate(wrapped.lines) if re.match(r"^  [A-Za-z0-9]+:\s*(#.*)?$", line)]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(wrapped.lines)
        end = next((i for i in range(start + 1, end) if re.match(r"^\S", wrapped.lines[i])), end)
        shown = [original[wrapped.origin[i] - snippet.line] for i in range(start, end) if wrapped.origin[i]]
        if any("..." in line for line in shown):
            wrapped.elided.append((start + 1, end))
    return wrapped


def default_prefix() -> str:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.loads((ROOT / "template.yaml").read_text(encoding="utf-8"))
    return str(template["Parameters"]["ParameterPrefix"]["Default"])


def lint_yaml(listing: bool) -> int:
    blocks = snippets({"yaml", "yml"})
    wrapped: list[Wrapped] = []
    problems: list[str] = []
    for snippet in blocks:
        if snippet.opt_out:
            print(f"{snippet.where}: skipped ({snippet.opt_out})")
            continue
        result = wrap(snippet)
        if result is None:
            problems.append(f"{snippet.where}: a YAML block that is neither a template nor a fragment of one; "
                            "mark it <!-- snippet: not a template --> if it is not CloudFormation")
            continue
        wrapped.append(result)
    prefix = default_prefix()
    with tempfile.TemporaryDirectory(prefix="snippets-") as folder:
        files = {}
        for number, item in enumerate(wrapped):
            path = Path(folder) / f"snippet-{number:02d}.yaml"
            path.write_text("\n".join(item.lines) + "\n", encoding="utf-8")
            files[str(path)] = item
            if listing:
                print(f"--- {item.snippet.where}\n{path.read_text(encoding='utf-8')}")
        cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
        done = subprocess.run(
            [cfn_lint, "--append-rules", str(ROOT / "cfn-lint-rules"), "--format", "json",
             "--configure-rule", f"E9106:prefix={prefix}", "--", *files],
            capture_output=True, text=True, timeout=600, check=False)
        if done.returncode not in range(0, 16, 2) or not done.stdout.strip().startswith("["):
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        for match in json.loads(done.stdout):
            item = files[match["Filename"]]
            line = match["Location"]["Start"]["LineNumber"]
            rule = match["Rule"]["Id"]
            # An eliding resource is not asked for what it leaves out.
            missing = rule == "E9103" or match["Message"].endswith("is a required property")
            if missing and any(
                    start <= line <= end for start, end in item.elided):
                continue
            origin = item.origin[line - 1] if 0 < line <= len(item.origin) else None
            where = f"{item.snippet.document}:{origin}" if origin else f"{item.snippet.where} (around it)"
            problems.append(f"{where}: {rule} {match['Message']}")
    for problem in problems:
        print(problem)
    print(f"{len(wrapped)} YAML snippets linted with the ParameterPrefix {prefix}: {len(problems)} findings")
    return 1 if problems else 0


# --- TypeScript ------------------------------------------------------------------------------------

# What a snippet may use without declaring it, and how it is declared (in order: later ones use earlier).
STACKS = {"keysStack": ("Keys", "111111111111", "us-east-1"), "appStack": ("App", "111111111111", "eu-west-1"),
          "euStack": ("Eu", "111111111111", "eu-west-1"), "workloadStack": ("Workload", "222222222222", "eu-west-1")}
PRELUDE = [
    *((name, f"const {name} = new Stack(app, `${{name}}{suffix}`, "
             f"{{ env: {{ account: '{account}', region: '{region}' }} }});")
      for name, (suffix, account, region) in STACKS.items()),
    ("stack", "const stack = this;"),
    ("worker", "const worker = new lambda.Function(typeof appStack === 'undefined' ? this : appStack, 'Worker', "
               "{ runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', "
               "code: lambda.Code.fromInline('exports.handler = async () => {};') });"),
    ("role", "const role = new iam.Role(this, 'Role', { assumedBy: new iam.AccountRootPrincipal() });"),
    ("key", "const key = new kms.Key(this, 'PreludeKey', { multiRegion: true });"),
    ("primaryKey", "const primaryKey = new kms.Key(this, 'PreludePrimaryKey', { multiRegion: true });"),
    ("replicaRegions", "const replicaRegions = ['eu-west-1'];"),
    ("regions", "const regions = ['eu-west-1'];"),
    ("names", "const names = ['/cross-region/app/key-arn'];"),
    ("parameters", "const parameters = { '/cross-region/app/config': 'value' };"),
    ("replicas", "const replicas = new ReplicaKey(this, 'PreludeReplicas', { replicaRegions: ['eu-west-1'], "
                 "primaryKey: new kms.Key(this, 'PreludeReplicasKey', { multiRegion: true }) });"),
]
MODULES = {
    "kms": "import * as kms from 'aws-cdk-lib/aws-kms';",
    "iam": "import * as iam from 'aws-cdk-lib/aws-iam';",
    "lambda": "import * as lambda from 'aws-cdk-lib/aws-lambda';",
    "ssm": "import * as ssm from 'aws-cdk-lib/aws-ssm';",
}
CORE = ["App", "Duration", "RemovalPolicy", "Stack"]
CONSTRUCTS = ["CrossRegionParameter", "CrossRegionParameterReader", "MrkProviderFunction", "Refresh", "ReplicaKey",
              "ServiceToken"]


def uses(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.'/-]){re.escape(name)}\b(?!['/-])", text) is not None


def declares(text: str, name: str) -> bool:
    return re.search(rf"\b(const|let|var)\s+{re.escape(name)}\b", text) is not None


def app_source(snippet: Snippet, index: int) -> str:
    """A module whose `synth()` builds the snippet's app and synthesizes it."""
    body_lines, imports = [], []
    for line in snippet.text.splitlines():
        (imports if line.startswith("import ") else body_lines).append(line)
    body = "\n".join(body_lines)
    imported = set()
    for line in imports:
        imported |= set(re.findall(r"\b(\w+)\b(?=\s*(?:,|\}|\s+from))", line.split(" from ")[0] + " from"))
        star = re.search(r"\*\s+as\s+(\w+)", line)
        if star:
            imported.add(star.group(1))
    needed = [source for name, source in PRELUDE if uses(body, name) and not declares(body, name)]
    prelude_text = "\n".join(needed)
    everything = body + "\n" + prelude_text
    header = []
    core = [n for n in CORE if n not in imported and (uses(everything, n) or n in ("App", "Stack"))]
    header.append(f"import {{ {', '.join(core)} }} from 'aws-cdk-lib';")
    header += [source for name, source in MODULES.items() if name not in imported and uses(everything, name + ".")]
    constructs = [n for n in CONSTRUCTS if n not in imported and uses(everything, n)]
    if constructs:
        header.append(f"import {{ {', '.join(constructs)} }} from 'mrk-provider-cdk';")
    header += imports
    return f"""// {snippet.where}: generated by tools/snippets.py
{chr(10).join(header)}

export const where = {json.dumps(snippet.where)};

export function synth(): void {{
  // Without the CDK's built-in validation (slow); cdk/ pins an aws-cdk-lib older than the option, which ignores it.
  const app = new App({{ ...({{ builtinCloudFormationValidation: false }} as object) }});
  const name = 'Snippet{index}';
  class SnippetStack extends Stack {{
    constructor() {{
      super(app, name, {{ env: {{ account: '111111111111', region: 'us-east-1' }} }});
      {prelude_text}
      // --- the snippet
{body}
      // ---
    }}
  }}
  new SnippetStack();
  app.synth();
}}
"""


def run_typescript(listing: bool) -> int:
    blocks = [s for s in snippets({"ts", "typescript"}) if not s.opt_out]
    out = ROOT / "cdk" / "build" / "snippets"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    modules = []
    for index, snippet in enumerate(blocks):
        name = f"snippet{index:02d}"
        (out / f"{name}.ts").write_text(app_source(snippet, index), encoding="utf-8")
        modules.append(name)
        if listing:
            print((out / f"{name}.ts").read_text(encoding="utf-8"))
    (out / "run.ts").write_text(
        "// Synthesizes every snippet's app; generated by tools/snippets.py\n"
        + "".join(f"import * as {m} from './{m}';\n" for m in modules)
        + f"const snippets = [{', '.join(modules)}];\n"
        + """let failed = 0;
for (const snippet of snippets) {
  try {
    snippet.synth();
    console.log(`${snippet.where}: synthesized`);
  } catch (error) {
    failed += 1;
    console.log(`${snippet.where}: ${(error as Error).message}`);
  }
}
console.log(`${snippets.length} TypeScript snippets synthesized: ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
""", encoding="utf-8")
    # Strict, as a user's app would be, but the unused names a fragment leaves (a construct it only
    # creates) are fine. Standalone: nothing here depends on how cdk/ builds itself.
    (out / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {
            "target": "ES2022", "module": "node16", "moduleResolution": "node16", "lib": ["ES2022"],
            "strict": True, "noImplicitReturns": True, "skipLibCheck": True, "types": ["node"],
            "rootDir": ".", "outDir": "js",
        },
        "include": ["*.ts"],
    }, indent=2), encoding="utf-8")
    tsc = ROOT / "cdk" / "node_modules" / ".bin" / "tsc"
    compiled = subprocess.run([str(tsc), "-p", str(out / "tsconfig.json")], capture_output=True, text=True,
                              timeout=600, check=False)
    if compiled.returncode != 0:
        for line in compiled.stdout.splitlines():
            found = re.match(r"^.*?(snippet(\d+))\.ts\((\d+),(\d+)\): (.*)$", line)
            if found:
                snippet = blocks[int(found.group(2))]
                generated = (out / f"{found.group(1)}.ts").read_text(encoding="utf-8").splitlines()
                start = generated.index("      // --- the snippet") + 2
                line_number = int(found.group(3))
                inside = line_number - start
                where = (f"{snippet.document}:{snippet.line + inside}" if 0 <= inside < len(snippet.text.splitlines())
                         else f"{snippet.where} (around it)")
                print(f"{where}: {found.group(5)}")
            else:
                print(line)
        print(f"{len(blocks)} TypeScript snippets: they do not compile")
        return 1
    ran = subprocess.run(["node", str(out / "js" / "run.js")], cwd=ROOT / "cdk", text=True, timeout=600, check=False)
    return ran.returncode


# --- Python --------------------------------------------------------------------------------------

PYTHON_APP = """# {where}: generated by tools/snippets.py
import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_kms as kms, aws_lambda as lambda_, aws_ssm as ssm
from constructs import Construct


class SnippetStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, env=cdk.Environment(account="111111111111", region="us-east-1"))
        # --- the snippet
{body}
        # ---


app = cdk.App(outdir={outdir!r})
SnippetStack(app, "Snippet")
app.synth()
print({where!r} + ": synthesized")
"""


def run_python(python: str, listing: bool) -> int:
    """Each Python block becomes the body of a stack's constructor (`self` is a stack in us-east-1), run
    with `python`: the virtual environment that has the built wheel and aws-cdk-lib installed, as a user's
    app has them (make cdk-python-synth)."""
    blocks = [s for s in snippets({"python", "py"}) if not s.opt_out]
    # Absolute but not resolved: the snippets run in a folder of their own, and a virtual environment's
    # interpreter is a link that must keep its own path to find the environment.
    python = os.path.abspath(python)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="snippets-") as folder:
        for index, snippet in enumerate(blocks):
            body = "\n".join("        " + line if line.strip() else "" for line in snippet.text.splitlines())
            source = PYTHON_APP.format(where=snippet.where, body=body, outdir=f"{folder}/out{index}")
            path = Path(folder) / f"snippet{index:02d}.py"
            path.write_text(source, encoding="utf-8")
            if listing:
                print(source)
            ran = subprocess.run([python, str(path)], cwd=folder, capture_output=True, text=True, timeout=600,
                                 check=False)
            print(ran.stdout.strip() or f"{snippet.where}: {ran.stderr.strip().splitlines()[-1:]}")
            failed += ran.returncode != 0
    print(f"{len(blocks)} Python snippets synthesized: {failed} failed")
    return 0 if failed == 0 and blocks else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("language", choices=["yaml", "typescript", "python"])
    parser.add_argument("--python", help="for python: the interpreter of an environment with the wheel installed")
    parser.add_argument("--list", action="store_true", help="print each snippet as it is checked")
    args = parser.parse_args(argv)
    if args.language == "python":
        if not args.python:
            parser.error("python snippets need --python, an interpreter with the wheel and aws-cdk-lib installed")
        return run_python(args.python, args.list)
    return lint_yaml(args.list) if args.language == "yaml" else run_typescript(args.list)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

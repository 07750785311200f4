#!/usr/bin/env node
// Builds the package's JavaScript into dist/: tsc emits the product's modules (tsconfig.build.json
// rewrites the `.ts` import specifiers to `.js`), then the data files the modules locate relative to
// themselves (runbooks, prompts, the lab's scripts and rules, the eval suite, the RBAC manifest) are
// copied beside them, so dist/ mirrors the source tree and every `new URL("../x", import.meta.url)` holds.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const SOURCE_DIRS = [
  "agent",
  "tools",
  "runbooks",
  "prompts",
  "evals",
  "server",
  "core",
  "store",
  "detect",
  "cli",
  "app",
  "lab",
];
// scripts/lib: the shell library the lab's image build sources.
const DATA_DIRS = [...SOURCE_DIRS, "deploy", "scripts/lib"];
// Produced at run time or by tests, or built on its own (the simulator workspace package); never copied.
const SKIP = [
  /\.ts$/,
  /(^|\/)node_modules(\/|$)/,
  /^evals\/reports(\/|$)/,
  /^server\/dashboard\/web(\/|$)/,
  /^lab\/kube-sim(\/|$)/,
];
const tsc = (project) =>
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", project], {
    stdio: "inherit",
  });

rmSync(dist, { recursive: true, force: true });
// The simulator is the workspace package @aegisops/kube-sim (lab/kube-sim): its JavaScript goes to its own
// dist/, which its package.json exports and the packed tarball bundles.
process.stdout.write("[build] compiling the simulator package (lab/kube-sim/tsconfig.build.json)\n");
rmSync(join(root, "lab/kube-sim/dist"), { recursive: true, force: true });
tsc(join(root, "lab/kube-sim/tsconfig.build.json"));
process.stdout.write("[build] bundling the dashboard (server/dashboard/assets)\n");
execFileSync("npm", ["run", "--silent", "build:dashboard"], { cwd: root, stdio: "inherit" });
process.stdout.write("[build] compiling TypeScript (tsconfig.build.json)\n");
tsc(join(root, "tsconfig.build.json"));

let copied = 0;
for (const dir of DATA_DIRS) {
  const from = join(root, dir);
  if (!existsSync(from)) continue;
  cpSync(from, join(dist, dir), {
    recursive: true,
    filter: (src) => {
      const rel = relative(root, src);
      if (SKIP.some((re) => re.test(rel))) return false;
      if (statSync(src).isFile()) copied += 1;
      return true;
    },
  });
}
process.stdout.write(`[build] dist/ ready: compiled modules and ${copied} data files\n`);

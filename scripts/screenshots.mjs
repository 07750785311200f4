// Regenerates the README's dashboard screenshots (docs/screenshots/*.png) from the browser tests.
// Test runs write theirs to data/screenshots/ (ignored); this is the deliberate refresh. Needs Docker,
// Prometheus and Debian's chromium, like the tests themselves.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const tests = ["test/e2e/dashboard.int.test.ts", "test/e2e/dashboardSlo.int.test.ts"];
const run = spawnSync("npx", ["vitest", "run", ...tests], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, AEGIS_SCREENSHOTS_DIR: `${root}docs/screenshots/` },
});
process.exit(run.status ?? 1);

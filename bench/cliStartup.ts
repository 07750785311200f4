/**
 * CLI start-up from the built package: `npm pack` (which builds dist/), unpack the tarball into a temp
 * directory beside this checkout's node_modules, and time the shipped `bin/aegis.js` as a user runs it:
 * `aegis --help` and `aegis runbook search` on a database whose runbooks are already imported.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { percentile, type BenchRow } from "./report.ts";

const RUNS = 15;
const ROOT = resolve(import.meta.dirname, "..");

function timeRuns(args: string[], env: NodeJS.ProcessEnv): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { env, encoding: "utf8" });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`aegis ${args.slice(1).join(" ")} exited ${r.status}: ${r.stderr}`);
    times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

/** Wall time of `aegis --help` and `aegis runbook search` from the packed package. */
export async function benchCliStartup(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-cli-bench-"));
  try {
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    })
      .trim()
      .split("\n")
      .pop()!;
    execFileSync("tar", ["-xzf", join(dir, tarball), "-C", dir]);
    const pkg = join(dir, "package");
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    const bin = join(pkg, "bin", "aegis.js");
    const env = { ...process.env, AEGIS_DB: join(dir, "aegis.db"), AEGIS_LOG_LEVEL: "silent" };
    // The first search imports the bundled runbooks into the new database; later ones only search.
    timeRuns([bin, "runbook", "list"], env);
    const help = timeRuns([bin, "--help"], env);
    const search = timeRuns([bin, "runbook", "search", "container keeps restarting after OOMKilled"], env);
    const p50Help = percentile(help, 50);
    const p50Search = percentile(search, 50);
    return [
      {
        name: "aegis --help p50 (built package)",
        value: p50Help,
        unit: "ms",
        goal: "< 200",
        ok: p50Help < 200,
      },
      {
        name: "aegis runbook search p50 (built package)",
        value: p50Search,
        unit: "ms",
        goal: "< 500",
        ok: p50Search < 500,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

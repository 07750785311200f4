import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retargeted } from "../helpers/alerts.ts";
import { waitFor } from "../helpers/docker.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

/** Every file under dir, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe("the npm package, installed into an empty directory as a user would", () => {
  let dir: string;
  let installed: string;
  let aegis: string;
  let serve: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aegis-pkg-"));
    const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", dir], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    const tarball = join(dir, stdout.trim().split("\n").pop()!);
    installed = join(dir, "app");
    await run("mkdir", ["-p", installed]);
    writeFileSync(join(installed, "package.json"), JSON.stringify({ name: "empty", private: true }));
    // --omit=dev: what a production install gets; tsx and typescript are development dependencies.
    // --ignore-scripts, then this checkout's build of the native addon (same version, same node): compiling
    // better-sqlite3 again takes minutes on a busy 2-core machine and is npm's job, not the package's.
    await run(
      "npm",
      ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", tarball],
      { cwd: installed, maxBuffer: 16 << 20 },
    );
    cpSync(
      join(ROOT, "node_modules", "better-sqlite3", "build"),
      join(installed, "node_modules", "better-sqlite3", "build"),
      { recursive: true },
    );
    aegis = join(installed, "node_modules", ".bin", "aegis");
  }, 600_000);

  afterAll(() => {
    serve?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ships built JavaScript and its data files, and no TypeScript sources or tsx", () => {
    const pkg = join(installed, "node_modules", "aegisops");
    const files = filesUnder(pkg);
    expect(files.filter((f) => f.endsWith(".ts"))).toEqual([]);
    expect(files).toContain("dist/cli/main.js");
    expect(files).toContain("dist/runbooks/memory_leak.md");
    expect(files).toContain("dist/prompts/system.v1.txt");
    expect(existsSync(join(installed, "node_modules", "tsx"))).toBe(false);
  });

  it("`aegis --help` lists the commands", async () => {
    const { stdout } = await run(aegis, ["--help"]);
    for (const cmd of ["serve", "demo", "runbook", "eval"]) expect(stdout).toContain(cmd);
    const sub = await run(aegis, ["serve", "--help"]);
    expect(sub.stdout).toContain("--port");
  });

  it("`aegis runbook search` finds the bundled runbooks", async () => {
    const { stdout } = await run(aegis, ["runbook", "search", "OOMKilled exit 137", "--json"], {
      env: { ...process.env, AEGIS_DB: join(dir, "search.db") },
    });
    const hits = JSON.parse(stdout) as Array<{ scenario?: string }>;
    expect(hits.map((h) => h.scenario)).toContain("oom_killed");
  });

  it("`aegis serve` starts, answers /healthz and accepts an alert", async () => {
    let out = "";
    serve = spawn(aegis, ["serve", "--port", "0"], {
      env: { ...process.env, AEGIS_DB: join(dir, "serve.db"), AEGIS_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    serve.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    serve.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const port = await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1], {
      timeoutMs: 30_000,
      what: "aegis serve to listen",
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const alert = await fetch(`http://127.0.0.1:${port}/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(retargeted({ alertname: "Probe", container: "no-such-container" })),
    });
    expect(alert.status).toBe(202);
    serve.kill("SIGTERM");
    await new Promise((r) => serve!.once("exit", r));
  }, 60_000);

  it("`aegis kube-sim` serves the demo cluster from the bundled simulator package", async () => {
    let out = "";
    const kubeconfig = join(dir, "kubeconfig");
    const sim = spawn(aegis, ["kube-sim", "--port", "0", "--write-kubeconfig", kubeconfig], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    sim.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    sim.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    try {
      const url = await waitFor(() => /kube-sim listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], {
        timeoutMs: 30_000,
        what: "aegis kube-sim to listen",
      });
      // The simulator lives in node_modules/@aegisops/kube-sim inside the installed package, as JavaScript.
      const bundled = join(installed, "node_modules", "aegisops", "node_modules", "@aegisops", "kube-sim");
      expect(existsSync(join(bundled, "dist", "index.js"))).toBe(true);
      const { stdout } = await run(
        "kubectl",
        ["--kubeconfig", kubeconfig, "get", "deployments", "-n", "shop"],
        {
          env: { PATH: process.env.PATH, HOME: dir },
        },
      );
      expect(stdout).toMatch(/^web\s/m);
      expect(url).toMatch(/^http:/);
    } finally {
      sim.kill("SIGTERM");
      await new Promise((r) => sim.once("exit", r));
    }
  }, 60_000);

  it("`aegis demo` heals a real container from the installed package", async () => {
    const { stdout } = await run(aegis, ["demo", "--scenario", "5xx"], {
      timeout: 120_000,
      env: { ...process.env, CI: "true" },
    });
    expect(stdout).toMatch(/Scenario 5xx: incident inc_\S+ ended RESOLVED/);
  }, 150_000);
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runScenario, type RunOptions } from "../../evals/harness/runScenario.ts";
import { loadScenarios } from "../../evals/harness/scenario.ts";
import { scoreRun } from "../../evals/harness/score.ts";

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const HEURISTIC: RunOptions = {
  planner: "heuristic",
  model: "gpt-4o-mini@v1",
  cassetteMode: "replay",
  openai: { apiKey: undefined, baseUrl: undefined },
};

const SCENARIO = "crashloop-bad-revision-web";

/** Runs kubectl with the kubeconfig the harness hands over while it holds a finished scenario. */
async function kubectlOn(kubeconfig: string, args: string[][]): Promise<KubectlResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-sim-tls-"));
  try {
    writeFileSync(join(dir, "kubeconfig"), kubeconfig);
    const out: KubectlResult[] = [];
    for (const a of args) {
      out.push(
        await new Promise<KubectlResult>((resolve) =>
          execFile(
            "/usr/bin/kubectl",
            ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "cache"), ...a],
            // kubectl's HOME (its discovery cache) in the temp dir, nothing of the machine's configuration.
            { env: { PATH: "/usr/bin:/bin", HOME: dir }, timeout: 60_000 },
            (err, stdout, stderr) =>
              resolve({
                code: err ? Number(err.code ?? 1) : 0,
                stdout: String(stdout),
                stderr: String(stderr),
              }),
          ),
        ),
      );
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the eval harness's clusters over TLS (aegis eval --sim-tls / --hold)", () => {
  const scenario = loadScenarios().find((s) => s.id === SCENARIO)!;

  it("a person's kubectl reads the held scenario's cluster, and AegisOps decides as over plain HTTP", async () => {
    let seen: KubectlResult[] = [];
    let url = "";
    const run = await runScenario(scenario, {
      ...HEURISTIC,
      simTls: true,
      hold: async ({ kubeconfig }) => {
        url = /server: (\S+)/.exec(kubeconfig)?.[1] ?? "";
        seen = await kubectlOn(kubeconfig, [
          ["get", "deployment", "web", "-n", "shop", "-o", "jsonpath={.metadata.name}"],
          ["rollout", "history", "deployment/web", "-n", "shop"],
          ["get", "pods", "-n", "shop"],
        ]);
      },
    });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(seen.map((r) => r.stderr)).toEqual(["", "", ""]);
    expect(seen[0]!.stdout).toBe("web");
    // The revisions kubectl lists: the one that crashed and the one AegisOps rolled back to.
    expect(seen[1]!.stdout.split("\n").filter((l) => /^\d+\s/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(seen[2]!.stdout).toMatch(/^web-\S+\s+1\/1\s+Running/m);
    const score = scoreRun(run);
    expect(score.action).toBe("rollback_deployment");
    expect(score.pass).toBe(true);
  }, 120_000);

  it("over plain HTTP (the default) kubectl sends no token and is refused", async () => {
    let seen: KubectlResult[] = [];
    await runScenario(scenario, {
      ...HEURISTIC,
      hold: async ({ kubeconfig }) => {
        seen = await kubectlOn(kubeconfig, [["get", "pods", "-n", "shop"]]);
      },
    });
    expect(seen[0]!.code).not.toBe(0);
    expect(seen[0]!.stderr).toMatch(/Unauthorized|must be logged in/i);
  }, 120_000);
});

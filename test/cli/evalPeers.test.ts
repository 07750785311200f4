import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "..", "..", "bin", "aegis.js");

// Two tiny scenarios written elsewhere (`--dir`): one of the suite's own kind, one tagged as a peer case. The
// peer case is a control that a dismissal passes; the own one expects an action that a resolved alert never gets.
const scenario = (id: string, tags: string, expectActions: string) => `id: ${id}
description: The alert has already resolved; web is healthy.
family: control
control: true
tags: [${tags}]
environment:
  kind: kubernetes
  developMs: 5000
notifications:
  - alerts:
      - labels: { alertname: HighErrorRate, severity: critical, namespace: shop, deployment: web }
        status: resolved
expect:
  actions: [${expectActions}]
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-eval-peers-"));
  mkdirSync(join(dir, "scenarios", "peers"), { recursive: true });
  writeFileSync(join(dir, "scenarios", "own.yaml"), scenario("own-case", "kubernetes", "rollout_restart"));
  writeFileSync(
    join(dir, "scenarios", "peers", "peer.yaml"),
    scenario("peer-case", "peers, peers:demo", "none"),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const aegis = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)("node", [BIN, ...args], {
      env: { ...process.env, AEGIS_DB: join(dir, "aegis.db"), AEGIS_LOG_LEVEL: "silent" },
      cwd: dir,
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
};

describe("aegis eval: the peers' cases as their own section", () => {
  it("reports own scenarios and peer cases apart, in the printed table, the Markdown report and the JSON report", async () => {
    const out = join(dir, "reports");
    const text = await aegis("eval", "--scenarios", "--dir", join(dir, "scenarios"), "--out", out);
    expect(text.stdout).toMatch(/own scenarios and peers' cases/);
    expect(text.stdout).toMatch(/action accuracy\s+0\.0 %\s+100\.0 %/);
    expect(text.stdout).toMatch(/false actions on controls\s+0 \(1 controls\)\s+0 \(1 controls\)/);
    const md = readFileSync(join(out, "latest-heuristic.md"), "utf8");
    expect(md).toMatch(/## Own scenarios and peers' cases[\s\S]*\| action accuracy \| 0\.0 % \| 100\.0 % \|/);
    const json = JSON.parse(readFileSync(join(out, "latest-heuristic.json"), "utf8")) as {
      sections?: Record<string, { scenarios: number; passed: number; actionAccuracy: number }>;
    };
    expect(json.sections?.own).toMatchObject({ scenarios: 1, passed: 0, actionAccuracy: 0 });
    expect(json.sections?.peers).toMatchObject({ scenarios: 1, passed: 1, actionAccuracy: 1 });
  }, 240_000);
});

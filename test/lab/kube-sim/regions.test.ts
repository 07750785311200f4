import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type KubeSim, startKubeSim } from "@aegisops/kube-sim";
import { kubectl, kubectlEnv } from "./helpers.ts";

// Two simulators stand for two regions; one kubeconfig holds both contexts, as for a real multi-region setup.
let east: KubeSim;
let west: KubeSim;
let env: ReturnType<typeof kubectlEnv>;

beforeAll(async () => {
  [east, west] = await Promise.all([
    startKubeSim({ clock: "virtual", name: "us-east" }),
    startKubeSim({ clock: "virtual", name: "eu-west" }),
  ]);
  env = kubectlEnv(east);
  const a = parse(east.kubeconfig()) as Record<string, unknown[]>;
  const b = parse(west.kubeconfig()) as Record<string, unknown[]>;
  const merged = {
    ...a,
    clusters: [...a.clusters!, ...b.clusters!],
    users: [...a.users!, ...b.users!],
    contexts: [...a.contexts!, ...b.contexts!],
  };
  writeFileSync(join(env.dir, "kubeconfig"), stringify(merged));
});
afterAll(async () => {
  await Promise.all([east.stop(), west.stop()]);
  env.cleanup();
});

describe("two simulators as two regions", () => {
  it("keeps separate state per context", async () => {
    const cordon = await kubectl(env, ["--context", "eu-west", "cordon", "sim-node-1"]);
    expect(cordon.code, cordon.stderr).toBe(0);
    expect((await kubectl(env, ["--context", "eu-west", "get", "nodes"])).stdout).toMatch(
      /sim-node-1\s+Ready,SchedulingDisabled/,
    );
    expect((await kubectl(env, ["--context", "us-east", "get", "nodes"])).stdout).toMatch(
      /sim-node-1\s+Ready\s/,
    );
  });
});

import { execFile, spawn } from "node:child_process";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type KubeSim,
  type KubeSimOptions,
  startKubeSim,
  resourceOf,
  type Deployment,
} from "@aegisops/kube-sim";

// The kube-sim tests' fixtures start from these bare nodes and namespaces (kept here too for their imports).
export { clusterManifests } from "../../helpers/kubeManifests.ts";

/** Timings short enough for tests on the real clock (pods start and turn ready in ~0.2 s). */
export const FAST = {
  podStartMs: 150,
  readyDelayMs: 150,
  crashAfterMs: 100,
  backoffBaseMs: 1000,
  hpaSyncMs: 1000,
};

/** Starts a simulator on 127.0.0.1 with fast timings (real clock unless told otherwise). */
export function startFastSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  return startKubeSim({ tickMs: 50, ...opts, timings: { ...FAST, ...opts.timings } });
}

export interface KubectlEnv {
  dir: string;
  kubeconfig: string;
  cleanup(): void;
}

/** A temp dir that kubectl uses as HOME (its discovery cache lives there), with a kubeconfig for `sim`. */
export function kubectlEnv(sim: KubeSim, token?: string): KubectlEnv {
  const dir = mkdtempSync(join(tmpdir(), "kube-sim-test-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig(token ? { token } : undefined));
  return { dir, kubeconfig, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against the simulator; never throws on a non-zero exit. */
export function kubectl(
  env: { dir: string; kubeconfig: string },
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "/usr/bin/kubectl",
      ["--kubeconfig", env.kubeconfig, "--cache-dir", join(env.dir, "cache"), ...args],
      { env: { PATH: "/usr/bin:/bin", HOME: env.dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET a JSON document from the simulator with the admin token. */
export async function getJson(
  sim: KubeSim,
  path: string,
  accept = "application/json",
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(sim.url + path, {
    headers: { Accept: accept, Authorization: `Bearer ${sim.adminToken}` },
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Waits until every Deployment has all its replicas available (the demo cluster has started). */
export async function settled(sim: KubeSim): Promise<void> {
  const deployments = resourceOf("Deployment");
  await waitFor(
    () =>
      sim.ctx.store.list(deployments).every((d) => {
        const s = d as Deployment;
        return (
          (s.status?.availableReplicas ?? 0) === (s.spec.replicas ?? 1) &&
          s.status?.observedGeneration === s.metadata.generation
        );
      }),
    "every deployment to be available",
  );
}

/** Starts a long-running kubectl (e.g. `get -w`) and collects its output; stop() ends it by its PID. */
export function kubectlStream(
  env: { dir: string; kubeconfig: string },
  args: string[],
): { output(): string; stop(): Promise<void> } {
  let out = "";
  const child = spawn(
    "/usr/bin/kubectl",
    ["--kubeconfig", env.kubeconfig, "--cache-dir", join(env.dir, "cache"), ...args],
    {
      env: { PATH: "/usr/bin:/bin", HOME: env.dir },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** One simulator with kubectl pointed at it: `run` never throws, `k` expects exit 0 and returns stdout. */
export interface SimSession {
  readonly sim: KubeSim;
  readonly env: KubectlEnv;
  run(args: string[], input?: string): Promise<KubectlResult>;
  k(...args: string[]): Promise<string>;
  /** `kubectl apply` of one manifest (an object, or YAML as it stands); expects exit 0. */
  apply(manifest: object | string): Promise<void>;
  /** The name of the first pod in `namespace` that `selector` (a kubectl label selector) matches. */
  podName(namespace: string, selector: string): Promise<string>;
  /** POST a JSON body to the simulator (its /sim/* control API) with the admin token. */
  post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

function session(current: () => { sim: KubeSim; env: KubectlEnv } | undefined): SimSession {
  const now = () => {
    const c = current();
    if (!c) throw new Error("no simulator is running: call start() first");
    return c;
  };
  const run = (args: string[], input?: string) => kubectl(now().env, args, input);
  const k = async (...args: string[]) => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  return {
    get sim() {
      return now().sim;
    },
    get env() {
      return now().env;
    },
    run,
    k,
    async apply(manifest) {
      const r = await run(
        ["apply", "-f", "-"],
        typeof manifest === "string" ? manifest : JSON.stringify(manifest),
      );
      expect(r.code, r.stderr).toBe(0);
    },
    podName: (namespace, selector) =>
      k("-n", namespace, "get", "pods", "-l", selector, "-o", "jsonpath={.items[0].metadata.name}"),
    async post(path, body) {
      const { sim } = now();
      const r = await fetch(sim.url + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${sim.adminToken}` },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
  };
}

/**
 * Per test: `start()` runs a fresh simulator on the virtual clock from `fixture` (manifests, an ImageRegistry; the
 * demo cluster when undefined) and moves its clock `warmUpMs` on; it and its kubectl home are removed after each test.
 */
export function useVirtualSim(
  fixture: string | undefined,
  { warmUpMs = 1000 }: { warmUpMs?: number } = {},
): SimSession & { start(): Promise<KubeSim> } {
  let live: { sim: KubeSim; env: KubectlEnv } | undefined;
  afterEach(async () => {
    const was = live;
    live = undefined;
    was?.env.cleanup();
    await was?.sim.stop();
  });
  return Object.assign(
    session(() => live),
    {
      async start() {
        const sim = await startKubeSim({ clock: "virtual", fixture });
        live = { sim, env: kubectlEnv(sim) };
        sim.advance(warmUpMs);
        return sim;
      },
    },
  );
}

/**
 * Per file: one simulator with fast real-clock timings (the demo cluster unless `opts` says otherwise), settled
 * before the first test and stopped after the last.
 */
export function useFastSim(opts: KubeSimOptions = {}): SimSession {
  let live: { sim: KubeSim; env: KubectlEnv } | undefined;
  beforeAll(async () => {
    const sim = await startFastSim(opts);
    await settled(sim);
    live = { sim, env: kubectlEnv(sim) };
  });
  afterAll(async () => {
    const was = live;
    live = undefined;
    await was?.sim.stop();
    was?.env.cleanup();
  });
  return session(() => live);
}

/** The status ("True", "False", "Unknown") of one condition of a node, read with kubectl. */
export function nodeCondition(session: Pick<SimSession, "k">, node: string, type: string): Promise<string> {
  return session.k("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="${type}")].status}`);
}

/** Moves a virtual clock on by `ms` in one-second steps, so controllers see every second pass. */
export function walk(sim: KubeSim, ms: number): void {
  for (let t = 0; t < ms; t += 1000) sim.advance(1000);
}

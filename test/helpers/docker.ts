import { afterAll, beforeAll } from "vitest";
import type Docker from "dockerode";
import { freeLoopbackPort as freePort } from "../../core/ports.ts";
import { createDockerClient, type DockerClient } from "../../tools/docker/client.ts";
import {
  answersHealth,
  ensureTargetImage,
  runTarget as runLabTarget,
  type RunTargetOptions,
} from "../../lab/chaos-app/container.ts";

export {
  answersHealth,
  ensureTargetImage,
  fault,
  TARGET_IMAGE,
  type RunTargetOptions,
} from "../../lab/chaos-app/container.ts";

/** A loopback port that was free a moment ago. */
export { freePort };

let client: DockerClient | undefined;

/** The Docker client tests share (DOCKER_HOST or the local socket). */
export function testDocker(): DockerClient {
  client ??= createDockerClient(process.env.DOCKER_HOST);
  return client;
}

/** A unique container name for one test run, so reruns and parallel runs never collide. */
export function uniqueName(what: string): string {
  return `aegis-test-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Create and start a lab target container on the host network (see lab/chaos-app/container.ts). */
export async function runTarget(opts: RunTargetOptions): Promise<Docker.Container> {
  // A retried test reuses its names: clear what its first attempt left behind.
  await removeContainer(opts.name);
  return runLabTarget(testDocker(), opts);
}

/** Force-remove a container; a container that is already gone is fine. */
export async function removeContainer(name: string): Promise<void> {
  try {
    await testDocker().getContainer(name).remove({ force: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

/** Remove every container a test created whose name starts with `prefix` (clones included). */
export async function removeContainersNamed(prefix: string): Promise<void> {
  const list = await testDocker().listContainers({ all: true, filters: { name: [prefix] } });
  const mine = list.filter((c) => c.Names.some((n) => n.replace(/^\//, "").startsWith(prefix)));
  await Promise.all(mine.map((c) => removeContainer(c.Id)));
}

/** Poll `fn` until it returns a truthy value (which is returned) or the deadline passes. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  {
    timeoutMs = 15_000,
    intervalMs = 100,
    what = "condition",
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError ? ` (last error: ${String(lastError)})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A Docker integration test file's set-up: the lab image built, its containers named apart and removed. */
export interface DockerHarness {
  docker: DockerClient;
  /** Every container of this file is named `${prefix}-…` (clones too), so afterAll finds them all. */
  prefix: string;
  /**
   * Start a lab target named `${prefix}-${suffix}` on a free loopback port and, unless `waitHealthy` is false,
   * wait until it answers /health.
   */
  target(
    suffix: string,
    opts?: Omit<RunTargetOptions, "name" | "port"> & { port?: number; waitHealthy?: boolean },
  ): Promise<{ name: string; port: number; url: string; container: Docker.Container }>;
}

/**
 * The Docker harness for the calling test file (like `useKubeHarness`): builds the lab image before its
 * tests and removes every container it named after them.
 */
export function useDockerHarness(what: string): DockerHarness {
  const prefix = uniqueName(what);
  beforeAll(() => ensureTargetImage());
  afterAll(() => removeContainersNamed(prefix));
  return {
    docker: testDocker(),
    prefix,
    async target(suffix, opts = {}) {
      const { waitHealthy = true, port: wanted, ...run } = opts;
      const name = `${prefix}-${suffix}`;
      const port = wanted ?? (await freePort());
      const container = await runTarget({ ...run, name, port });
      if (waitHealthy) await waitFor(() => answersHealth(port), { what: `${name} to answer` });
      return { name, port, url: `http://127.0.0.1:${port}/health`, container };
    },
  };
}

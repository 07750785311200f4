import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { createDockerClient, type DockerClient } from "../../tools/docker/client.ts";

/** Tag of the lab target image the integration tests run. */
export const TARGET_IMAGE = "aegis-target:dev";

const buildScript = fileURLToPath(new URL("../../lab/target/build-image.sh", import.meta.url));
let imageReady: Promise<void> | undefined;
let client: DockerClient | undefined;

/** The Docker client tests share (DOCKER_HOST or the local socket). */
export function testDocker(): DockerClient {
  client ??= createDockerClient(process.env.DOCKER_HOST);
  return client;
}

/** Build the target image unless it is current; runs the build script at most once per test process. */
export function ensureTargetImage(): Promise<void> {
  imageReady ??= promisify(execFile)("bash", [buildScript, TARGET_IMAGE], { timeout: 120_000 }).then(
    () => undefined,
  );
  return imageReady;
}

/** A unique container name for one test run, so reruns and parallel runs never collide. */
export function uniqueName(what: string): string {
  return `aegis-test-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Options of {@link runTarget}. */
export interface RunTargetOptions {
  name: string;
  port: number;
  env?: Record<string, string>;
  memoryMb?: number;
  healthcheck?: boolean;
  restartPolicy?: { Name: "no" | "always" | "unless-stopped" | "on-failure"; MaximumRetryCount?: number };
  labels?: Record<string, string>;
  /** Set false to leave out `aegis.port-env`, the label scale_service needs. */
  portEnvLabel?: boolean;
  tty?: boolean;
}

/** Create and start a target container on the host network, listening on 127.0.0.1:`port`. */
export async function runTarget(opts: RunTargetOptions): Promise<Docker.Container> {
  await ensureTargetImage();
  const docker = testDocker();
  const healthUrl = `http://127.0.0.1:${opts.port}/health`;
  const memory = opts.memoryMb ? opts.memoryMb * 1024 * 1024 : 0;
  const container = await docker.createContainer({
    name: opts.name,
    Image: TARGET_IMAGE,
    Tty: opts.tty ?? false,
    Env: Object.entries({ ...opts.env, PORT: String(opts.port) }).map(([k, v]) => `${k}=${v}`),
    Labels: {
      "aegis.test": "1",
      "aegis.health-url": healthUrl,
      ...(opts.portEnvLabel === false ? {} : { "aegis.port-env": "PORT" }),
      ...opts.labels,
    },
    // Debian's static busybox segfaults on wget -T, so the engine's own timeout bounds the check.
    Healthcheck: opts.healthcheck
      ? {
          Test: ["CMD", "/bin/wget", "-q", "-O", "/dev/null", healthUrl],
          Interval: 500_000_000,
          Timeout: 1_000_000_000,
          Retries: 2,
        }
      : undefined,
    HostConfig: {
      NetworkMode: "host",
      // Swap equal to memory means no swap, so a leak ends in an OOM kill rather than in swapping.
      ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
      RestartPolicy: opts.restartPolicy ?? { Name: "no" },
    },
  });
  await container.start();
  return container;
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

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Switch a fault on in the target listening on `port` (`clear` switches all off). */
export async function fault(
  port: number,
  kind: "leak" | "cpu" | "5xx" | "latency" | "hang" | "clear",
): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/fault/${kind}`, {
    method: "POST",
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(`fault ${kind} on port ${port}: HTTP ${res.status}`);
  await res.arrayBuffer();
}

/** True when the target on `port` answers /health with 200 within `timeoutMs`. */
export async function answersHealth(port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

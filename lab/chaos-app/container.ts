import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { DockerClient } from "../../tools/docker/client.ts";

/** Tag of the lab target image the integration tests run. */
export const TARGET_IMAGE = "aegis-target:dev";

const buildScript = fileURLToPath(new URL("./build-image.sh", import.meta.url));
let imageReady: Promise<void> | undefined;

/** Build the target image unless it is current; runs the build script at most once per test process. */
export function ensureTargetImage(): Promise<void> {
  imageReady ??= promisify(execFile)("bash", [buildScript, TARGET_IMAGE], { timeout: 120_000 }).then(
    () => undefined,
  );
  return imageReady;
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
export async function runTarget(docker: DockerClient, opts: RunTargetOptions): Promise<Docker.Container> {
  await ensureTargetImage();
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

/** Switch a fault on in the target listening on `port` (`clear` switches all off). */
export async function fault(
  port: number,
  kind: "leak" | "cpu" | "5xx" | "latency" | "hang" | "config" | "clear",
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

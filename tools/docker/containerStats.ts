import type Docker from "dockerode";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { tool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";

/** One reading of a container's resource use. */
export interface StatsSample {
  at: string;
  memoryUsageBytes: number;
  /** The container's memory limit; 0 when it has none. */
  memoryLimitBytes: number;
  cpuPercent: number | null;
}

/** Output of `docker_container_stats`. */
export interface ContainerStatsResult {
  samples: StatsSample[];
  memoryGrowthBytesPerSec: number;
  memoryUtilisation: number | null;
}

type CpuReading = Pick<Docker.CPUStats, "cpu_usage" | "system_cpu_usage" | "online_cpus">;

/**
 * Memory in use as `docker stats` reports it: usage minus the page cache the kernel can drop at once
 * (`total_inactive_file` on cgroup v1, `inactive_file` on v2).
 */
export function memoryInUse(mem: Partial<Docker.MemoryStats> | undefined): number {
  const usage = mem?.usage ?? 0;
  const stats = (mem?.stats ?? {}) as Partial<Record<string, number>>;
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

/** CPU use between two readings, in percent of one CPU as `docker stats` computes it; null without a delta. */
export function cpuPercentBetween(prev: CpuReading | undefined, cur: CpuReading | undefined): number | null {
  const prevTotal = prev?.cpu_usage?.total_usage;
  const prevSystem = prev?.system_cpu_usage;
  const curTotal = cur?.cpu_usage?.total_usage;
  const curSystem = cur?.system_cpu_usage;
  if (!prevSystem || !curSystem || prevTotal === undefined || curTotal === undefined) return null;
  const cpuDelta = curTotal - prevTotal;
  const systemDelta = curSystem - prevSystem;
  if (systemDelta <= 0 || cpuDelta < 0) return null;
  const cpus = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
  samples: z.number().int().min(1).max(5).default(2).describe("How many readings to take."),
  intervalMs: z.number().int().min(50).max(5000).default(300).describe("Pause between readings, in ms."),
});

/** `docker_container_stats`: memory and CPU readings and how fast memory grows. */
export function createContainerStatsTool(deps: { docker: DockerClient }) {
  return tool({
    name: "docker_container_stats",
    description:
      "Sample a Docker container's memory (without page cache, as docker stats shows it) and CPU a few " +
      "times (readings are at least ~1 s apart: the engine collects once a second); returns the readings, memory growth in bytes per second and memory use as a fraction of the limit.",
    parameters,
    execute: async ({ container, samples: count, intervalMs }, { signal }): Promise<ContainerStatsResult> => {
      const handle = deps.docker.getContainer(container);
      // The engine reports the host's memory as the "limit" of an unlimited container; the container's
      // own setting tells the two apart (0 = no limit).
      let limitBytes: number;
      try {
        limitBytes = (await handle.inspect()).HostConfig.Memory ?? 0;
      } catch (err) {
        throw toAegisError(err, container, "inspect of");
      }
      const samples: StatsSample[] = [];
      const times: number[] = [];
      let previous: CpuReading | undefined;
      for (let i = 0; i < count; i++) {
        if (i > 0) await sleep(intervalMs, undefined, { signal });
        let raw: Docker.ContainerStats;
        try {
          // One-shot skips the engine's priming read (an empty precpu block, hence the CPU delta against
          // our own previous sample). The first reply is immediate; later ones wait for the engine's next
          // once-a-second collection, so samples end up about 1 s apart whatever intervalMs says.
          raw = await handle.stats({ stream: false, "one-shot": true });
        } catch (err) {
          throw toAegisError(err, container, "reading stats of");
        }
        // The engine's own read time: its collector runs once a second, so a reply may be up to 1 s old.
        const read = Date.parse(raw.read);
        const now = read > 0 ? read : Date.now();
        const cpu = raw.cpu_stats as CpuReading | undefined;
        const cpuPercent = cpuPercentBetween(raw.precpu_stats, cpu) ?? cpuPercentBetween(previous, cpu);
        previous = cpu;
        times.push(now);
        samples.push({
          at: new Date(now).toISOString(),
          memoryUsageBytes: memoryInUse(raw.memory_stats),
          memoryLimitBytes: limitBytes,
          cpuPercent,
        });
      }
      return { samples, ...summarise(samples, times) };
    },
  });
}

function summarise(samples: StatsSample[], times: number[]): Omit<ContainerStatsResult, "samples"> {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = ((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1000;
  const growth =
    first && last && seconds > 0 ? Math.round((last.memoryUsageBytes - first.memoryUsageBytes) / seconds) : 0;
  const limited = last !== undefined && last.memoryLimitBytes > 0;
  return {
    memoryGrowthBytesPerSec: growth,
    memoryUtilisation: limited
      ? Math.round((last.memoryUsageBytes / last.memoryLimitBytes) * 10000) / 10000
      : null,
  };
}

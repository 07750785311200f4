import type { Signal } from "../../../core/types.ts";
import type { ContainerStatsResult } from "../../../tools/docker/containerStats.ts";
import type { LogLine } from "../../../tools/docker/containerLogs.ts";
import type { ContainerSnapshot } from "../../../tools/docker/inspectContainer.ts";
import type { SwarmTask } from "../../../tools/docker/swarmTask.ts";
import { probeFailureInWords, type HealthProbeResult } from "../../../tools/http/healthProbe.ts";
import { signal } from "../../signals.ts";

/** Raw observations of one container, as the read-only tools returned them (any may be missing). */
export interface DockerObservations {
  snapshot: ContainerSnapshot;
  logs?: LogLine[];
  stats?: ContainerStatsResult;
  probe?: HealthProbeResult;
  /** Every probe of the health URL (more than one when the first failed); `probe` is the majority's. */
  probes?: HealthProbeResult[];
  /** What showed a failing probe sustained without probing again (Prometheus' error history), in words. */
  probeConfirmedBy?: string;
  /** The Swarm task the container runs, and the running container Swarm replaced it with (when it has). */
  swarm?: { task: SwarmTask; replacement?: string };
}

// EX_CONFIG from sysexits.h: the conventional "bad configuration" exit status.
const EX_CONFIG = 78;
const CONFIG_LOG =
  /\bconfig(uration)?\b.{0,40}\b(error|invalid|missing|not found|failed)|missing required (setting|env|environment|variable|option|config)|invalid (config|configuration|setting|value for)|environment variable \S+ (is )?(not set|missing|required)|no such file or directory.{0,80}\.(ya?ml|json|conf|ini|toml|env)\b|failed to (load|parse|read) (config|configuration|settings)|unknown (option|flag|setting)/i;
const SERVER_ERROR_LOG = /\b5\d\d\b.*\b(error|fail)|\b(error|fail).*\b5\d\d\b|internal server error/i;
const TIMEOUT_TEXT = /timed? ?out|timeout|exceeded/i;

const MIB = 1024 * 1024;
/** Growth that a healthy process's GC noise does not reach over a sub-second window. */
const GROWTH_BYTES_PER_SEC = 2 * MIB;
const MEMORY_HIGH = 0.85;
const SLOW_MS = 1000;
const CRASH_LOOP_RESTARTS = 3;
/** An engine restart this recent still counts as crashing, even if the process is up this instant. */
const RECENT_CRASH_MS = 120_000;
const SERVER_ERROR_LINES = 3;

/** Turn one container's observations into the planner's signal vocabulary. Pure: `now` is passed in. */
export function dockerSignals(obs: DockerObservations, now = Date.now()): Signal[] {
  const { snapshot: c, logs = [], stats, probe } = obs;
  const out: Signal[] = [];
  const st = c.state;
  const alive = st.running && !st.restarting;

  if (st.oomKilled) out.push(signal("oom_killed", true, `OOMKilled, exit code ${st.exitCode}`));

  // The engine resets ExitCode when it starts the process again, so a crash loop caught between two
  // runs looks "running": a recent engine restart is the tell.
  const recentlyCrashed = c.restartCount >= 1 && now - Date.parse(st.finishedAt) < RECENT_CRASH_MS;
  const crashLoop = st.restarting || c.restartCount >= CRASH_LOOP_RESTARTS || recentlyCrashed;
  if (crashLoop) {
    out.push(
      signal(
        "crash_loop",
        c.restartCount,
        `${c.restartCount} restarts by the engine, last exit code ${st.exitCode}`,
      ),
    );
  } else if (!st.running) {
    out.push(signal("exited", st.exitCode, `container is ${st.status}, exit code ${st.exitCode}`));
  }

  // Swarm replaces a task whose container stopped with a new task in its slot; it never adopts the old one again.
  if (!st.running && obs.swarm) {
    const { task, replacement } = obs.swarm;
    out.push(
      signal(
        "swarm_task_exited",
        replacement ?? true,
        replacement
          ? `Swarm task ${task.service}.${task.slot} stopped and Swarm already runs its replacement ${replacement}`
          : `Swarm task ${task.service}.${task.slot} stopped; no replacement task runs yet (docker service ps ${task.service})`,
      ),
    );
  }

  if (!alive || crashLoop) {
    const configLine = [...logs].reverse().find((l) => CONFIG_LOG.test(l.text));
    // Exited: the exit code must say "failed" (not killed); caught mid-loop: the log must say why.
    const failedExit = !st.running && st.exitCode !== 0 && st.exitCode !== 137 && st.exitCode !== 143;
    if (
      (configLine && (failedExit || st.running || st.restarting)) ||
      (failedExit && st.exitCode === EX_CONFIG)
    ) {
      const why = configLine ? `log: "${configLine.text.slice(0, 160)}"` : "exit code 78 (EX_CONFIG)";
      const code = st.running ? `${c.restartCount} engine restart(s)` : `exit code ${st.exitCode}`;
      out.push(signal("config_error", true, `${code}, ${why}`));
    }
  }

  if (stats && alive) {
    const rising = stats.samples.every(
      (s, i) => i === 0 || s.memoryUsageBytes > stats.samples[i - 1]!.memoryUsageBytes,
    );
    if (rising && stats.samples.length >= 2 && stats.memoryGrowthBytesPerSec >= GROWTH_BYTES_PER_SEC) {
      out.push(
        signal(
          "memory_growth",
          Math.round(stats.memoryGrowthBytesPerSec),
          `memory grows ${(stats.memoryGrowthBytesPerSec / MIB).toFixed(1)} MiB/s`,
        ),
      );
    }
    if (stats.memoryUtilisation !== null && stats.memoryUtilisation >= MEMORY_HIGH) {
      out.push(
        signal(
          "memory_high",
          stats.memoryUtilisation,
          `memory at ${Math.round(stats.memoryUtilisation * 100)}% of its limit`,
        ),
      );
    }
    const cpu = stats.samples.at(-1)?.cpuPercent;
    if (cpu != null && cpu >= 90) out.push(signal("cpu_saturated", cpu, `CPU at ${Math.round(cpu)}%`));
  }

  if (alive) {
    const runs = c.health?.log ?? [];
    const lastRuns = runs.slice(-3);
    const healthTimeouts =
      c.health?.status === "unhealthy" &&
      lastRuns.length > 0 &&
      lastRuns.every((r) => r.exitCode !== 0 && (r.exitCode === -1 || TIMEOUT_TEXT.test(r.output)));
    const tally = obs.probeConfirmedBy
      ? ` (${obs.probeConfirmedBy})`
      : obs.probes && obs.probes.length > 1
        ? ` (${obs.probes.filter((p) => !p.ok).length} of ${obs.probes.length} probes failed)`
        : "";
    if (probe?.error === "timeout" || healthTimeouts) {
      const why =
        probe?.error === "timeout"
          ? `health URL did not answer within ${probe.latencyMs} ms${tally}`
          : "health checks time out";
      out.push(signal("health_timeout", true, why));
    } else if (probe && !probe.ok) {
      out.push(
        signal(
          "health_failing",
          probe.status ?? String(probe.error),
          `health URL ${probeFailureInWords(probe)}${tally}`,
        ),
      );
    } else if (c.health?.status === "unhealthy") {
      out.push(
        signal(
          "health_failing",
          "unhealthy",
          `health check failing ${c.health.failingStreak} times in a row`,
        ),
      );
    }

    const serverErrors = logs.filter((l) => SERVER_ERROR_LOG.test(l.text)).length;
    if ((probe?.status ?? 0) >= 500 || serverErrors >= SERVER_ERROR_LINES) {
      const why =
        (probe?.status ?? 0) >= 500
          ? `health URL answered ${probe?.status}`
          : `${serverErrors} server-error log lines`;
      out.push(signal("http_errors", serverErrors || 1, why));
    }
    if (probe?.ok && probe.latencyMs >= SLOW_MS) {
      out.push(signal("slow_responses", probe.latencyMs, `health URL took ${probe.latencyMs} ms`));
    }
  }

  if (out.length === 0 && alive) {
    const how = probe
      ? `health URL answered ${probe.status} in ${probe.latencyMs} ms`
      : `status ${st.status}`;
    out.push(signal("healthy", true, `running, ${how}`));
  }
  return out;
}

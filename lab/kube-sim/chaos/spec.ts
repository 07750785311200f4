import type { HttpFault, PodEffect } from "../podEffects.ts";
import type { KubeObject } from "../types.ts";
import { parseBytes } from "../world.ts";

/** The experiment kinds the chaos controller acts on (chaos-mesh.org/v1alpha1). */
export const EXPERIMENT_KINDS = ["PodChaos", "NetworkChaos", "HTTPChaos", "IOChaos", "StressChaos"] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];

/** The annotation that pauses an experiment or a Schedule (and a Schedule's experiments). */
export const PAUSE_ANNOTATION = "experiment.chaos-mesh.org/pause";

export interface ChaosSelector {
  namespaces?: string[];
  labelSelectors?: Record<string, string>;
  expressionSelectors?: { key: string; operator: string; values?: string[] }[];
  annotationSelectors?: Record<string, string>;
  pods?: Record<string, string[]>;
}

/** The fields of an experiment's spec the simulator reads (the kinds share selector, mode and duration). */
export interface ExperimentSpec {
  action?: string;
  mode?: "one" | "all" | "fixed" | "fixed-percent" | "random-max-percent";
  value?: string;
  selector?: ChaosSelector;
  duration?: string;
  containerNames?: string[];
  gracePeriod?: number;
  // NetworkChaos
  delay?: { latency?: string; jitter?: string };
  loss?: { loss?: string };
  // HTTPChaos
  target?: "Request" | "Response";
  port?: number;
  method?: string;
  path?: string;
  abort?: boolean;
  patch?: unknown;
  replace?: unknown;
  // IOChaos
  volumePath?: string;
  errno?: number;
  percent?: number;
  // StressChaos
  stressors?: {
    memory?: { workers?: number; size?: string };
    cpu?: { workers?: number; load?: number };
  };
}

export interface Experiment extends KubeObject {
  spec: ExperimentSpec;
  status?: {
    conditions?: { type: string; status: string; reason?: string }[];
    experiment?: {
      desiredPhase?: "Run" | "Stop";
      containerRecords?: {
        id: string;
        phase: "Injected" | "NotInjected";
        selectorKey: string;
        injectedCount: number;
        recoveredCount: number;
        restarts?: number;
      }[];
    };
  };
}

/** Parses a Go duration (`55s`, `1m30s`, `100ms`, `1h`) into milliseconds; undefined when absent or bad. */
export function goDurationMs(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
  let total = 0;
  let seen = "";
  for (let m = re.exec(s); m; m = re.exec(s)) {
    seen += m[0];
    const n = Number(m[1]);
    const unit: Record<string, number> = {
      h: 3600_000,
      m: 60_000,
      s: 1000,
      ms: 1,
      us: 1e-3,
      µs: 1e-3,
      ns: 1e-6,
    };
    total += n * unit[m[2]!]!;
  }
  return seen === s ? total : undefined;
}

/** IOChaos errno values and the message the C library prints for them. */
const ERRNO: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  5: "input/output error",
  13: "permission denied",
  28: "no space left on device",
};

/**
 * What an experiment does to one selected pod while it runs, as an effect on its processes and traffic; the
 * one-shot PodChaos actions (pod-kill, container-kill) and pod-failure's image swap are done by the controller,
 * not here. `nodeMemoryMiB`: the machine's memory stress-ng sizes a percentage against. Undefined: an action the
 * simulator does not model.
 */
export function effectOf(kind: ExperimentKind, o: Experiment, nodeMemoryMiB: number): PodEffect | undefined {
  const s = o.spec;
  const source = `${o.metadata.namespace}/${kind.toLowerCase()}/${o.metadata.name}`;
  const containers = s.containerNames?.length ? s.containerNames : undefined;
  switch (kind) {
    case "NetworkChaos": {
      const action = s.action ?? "delay";
      if (action === "delay") {
        const ms = goDurationMs(s.delay?.latency) ?? 0;
        return { source, netDelayMs: ms };
      }
      if (action === "loss") return { source, packetLoss: Math.min(1, Number(s.loss?.loss ?? "0") / 100) };
      if (action === "partition") return { source, packetLoss: 1 };
      return undefined;
    }
    case "HTTPChaos": {
      const f: HttpFault = { port: s.port, method: s.method, path: s.path };
      if (s.abort) f.abort = true;
      const delay = goDurationMs(s.delay as unknown as string | undefined);
      if (delay) f.delayMs = delay;
      if ((s.target ?? "Request") === "Request" && (s.patch !== undefined || s.replace !== undefined))
        f.tamper = true;
      return f.abort || f.delayMs || f.tamper ? { source, http: [f] } : undefined;
    }
    case "IOChaos": {
      const path = s.volumePath ?? "/";
      const share = Math.min(1, (s.percent ?? 100) / 100);
      if ((s.action ?? "latency") === "latency") {
        const ms = goDurationMs(s.delay as unknown as string | undefined) ?? 0;
        return {
          source,
          containers,
          behaviour: {
            latencyMs: ms * share,
            logs: [`WARN slow disk: fsync of ${path} took ${Math.round(ms)}ms`],
          },
        };
      }
      if (s.action === "fault") {
        const msg = ERRNO[s.errno ?? 5] ?? `errno ${s.errno}`;
        return {
          source,
          containers,
          behaviour: {
            errorRatio: share,
            logs: [`ERROR write ${path.replace(/\/$/, "")}/data: ${msg}`],
          },
        };
      }
      return undefined;
    }
    case "StressChaos": {
      const mem = s.stressors?.memory;
      const cpu = s.stressors?.cpu;
      let memoryMiB = 0;
      if (mem?.size) {
        const pct = /^(\d+(?:\.\d+)?)%$/.exec(mem.size);
        const bytes = pct ? undefined : parseBytes(mem.size.replace(/B$/i, ""));
        memoryMiB = pct ? (Number(pct[1]) / 100) * nodeMemoryMiB : (bytes ?? 0) / (1024 * 1024);
      }
      const cpuMillicores = cpu ? Math.max(1, cpu.workers ?? 1) * (cpu.load ?? 100) * 10 : 0;
      return {
        source,
        containers,
        behaviour: {
          ...(memoryMiB ? { memoryMiB } : {}),
          ...(cpuMillicores ? { cpuMillicores } : {}),
        },
      };
    }
    case "PodChaos":
      return undefined;
  }
}

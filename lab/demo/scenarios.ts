import type { ActionId } from "../../core/catalog.ts";
import type { IncidentStatus } from "../../core/types.ts";

/** One fault the demo can play, and what a correct responder does about it. */
export interface Scenario {
  name: string;
  description: string;
  /** The target app's runtime fault switch (`config` breaks its configuration and restarts it). */
  fault: "leak" | "hang" | "5xx" | "latency" | "cpu" | "config";
  expectedAction: ActionId;
  expectedStatus: IncidentStatus;
  /** Environment of the target container (e.g. a slower leak). */
  env?: Record<string, string>;
  /** Memory limit of the target container (MiB). */
  memoryMb?: number;
  /** The predictive watcher must raise it before any alert fires (and no OOM kill may happen). */
  predictive?: boolean;
}

export const SCENARIOS: Record<string, Scenario> = {
  leak: {
    name: "leak",
    description: "the service starts leaking memory (~80 MB/s)",
    fault: "leak",
    expectedAction: "restart_container",
    expectedStatus: "resolved",
  },
  hung: {
    name: "hung",
    description: "the service hangs: alive, but nothing answers (it ignores SIGTERM too)",
    fault: "hang",
    expectedAction: "kill_container",
    expectedStatus: "resolved",
  },
  "5xx": {
    name: "5xx",
    description: "the service answers every request with 500",
    fault: "5xx",
    expectedAction: "restart_container",
    expectedStatus: "resolved",
  },
  latency: {
    name: "latency",
    description: "every answer takes 1.5 s longer",
    fault: "latency",
    expectedAction: "restart_container",
    expectedStatus: "resolved",
  },
  cpu: {
    name: "cpu",
    description: "a runaway loop burns a whole CPU core",
    fault: "cpu",
    expectedAction: "restart_container",
    expectedStatus: "resolved",
  },
  predict: {
    name: "predict",
    description:
      "a slow leak (1 MiB/s) that would OOM-kill the 192 MiB container in about 2.5 minutes: the predictive watcher must see it coming and the restart must land before the kernel kills it",
    fault: "leak",
    expectedAction: "restart_container",
    expectedStatus: "resolved",
    env: { LEAK_MIB_PER_S: "1" },
    memoryMb: 192,
    predictive: true,
  },
  crash: {
    name: "crash",
    description:
      "a redeploy with a bad configuration crash-loops (a restart cannot fix it: AegisOps must escalate)",
    fault: "config",
    expectedAction: "none",
    expectedStatus: "escalated",
  },
};

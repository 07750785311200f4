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
  crash: {
    name: "crash",
    description:
      "a redeploy with a bad configuration crash-loops (a restart cannot fix it: AegisOps must escalate)",
    fault: "config",
    expectedAction: "none",
    expectedStatus: "escalated",
  },
};

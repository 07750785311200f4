import type { Command } from "commander";

/** One top-level `aegis` command: its name, a one-line summary for `aegis --help`, and how to load it. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

// Each command is imported only when it runs: `aegis --help` loads none of them, and `aegis runbook
// search` does not pay for the agent, Docker, Kubernetes and LangGraph modules that `serve` needs.
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "receive Alertmanager webhooks and respond to incidents",
    load: async () => (await import("./serve.ts")).serveCommand(),
  },
  {
    name: "kube-sim",
    summary: "run the Kubernetes API simulator (lab and tests)",
    load: async () => (await import("./kubeSim.ts")).kubeSimCommand(),
  },
  {
    name: "runbook",
    summary: "runbook memory: list, search, show, import and export",
    load: async () => (await import("./runbook.ts")).runbookCommand(),
  },
  {
    name: "eval",
    summary: "score AegisOps on the scenario suite and runbook retrieval",
    load: async () => (await import("./eval.ts")).evalCommand(),
  },
  {
    name: "demo",
    summary: "play a failure on the local Docker engine and watch AegisOps heal it",
    load: async () => (await import("./demo.ts")).demoCommand(),
  },
  {
    name: "lab",
    summary: "the chaos lab's Prometheus and Alertmanager, for your own AegisOps",
    load: async () => (await import("./lab.ts")).labCommand(),
  },
  {
    name: "slo",
    summary: "SLOs, error budgets and the autonomy each service has earned",
    load: async () => (await import("./slo.ts")).sloCommand(),
  },
  {
    name: "detect",
    summary: "score a metric series (CSV) or a NAB corpus with the anomaly detector",
    load: async () => (await import("./detect.ts")).detectCommand(),
  },
  {
    name: "audit",
    summary: "right-sizing audit: requests against p95/p99 use, the safe request and its monthly cost",
    load: async () => (await import("./audit.ts")).auditCommand(),
  },
];

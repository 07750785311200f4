import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Incident } from "../../core/types.ts";
import { isTerminal } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { DockerClient } from "../../tools/docker/client.ts";
import { startLoad } from "../load/loadGenerator.ts";
import { startAlertmanager } from "../stack/alertmanager.ts";
import { freePort, pollUntil } from "../stack/process.ts";
import { PROFILES } from "../stack/profiles.ts";
import { startPrometheus, waitForTargetsUp } from "../stack/prometheus.ts";
import { answersHealth, fault, runTarget } from "../chaos-app/container.ts";
import type { Scenario } from "./scenarios.ts";

/** The responder under demonstration (AegisOps, composed by the caller) as the demo sees it. */
export interface Responder {
  /** Base URL; Alertmanager posts to `${url}/alerts`. */
  url: string;
  incidents: IncidentRepository;
  stop(): Promise<void>;
}

export interface DemoOptions {
  scenario: Scenario;
  docker: DockerClient;
  /** Start AegisOps in auto mode with PROMETHEUS_URL set to the lab's Prometheus. */
  startResponder(settings: {
    prometheusUrl: string;
    dbPath: string;
    /** For a predictive scenario: the container whose memory the watcher forecasts, and its limit. */
    predictive?: { container: string; limitBytes: number };
  }): Promise<Responder>;
  /** Progress lines for people. */
  progress?: (line: string) => void;
  /** How long to wait for the incident to end after the fault. */
  timeoutMs?: number;
  /** Stop early (Ctrl-C); cleanup still runs. */
  signal?: AbortSignal;
}

/** The demo's outcome: the incident, and the figures an SRE cares about. */
export interface DemoResult {
  scenario: string;
  container: string;
  incident: Incident;
  expected: { action: string; status: string };
  passed: boolean;
  figures: {
    /** Fault injected → alert received by AegisOps. */
    timeToDetectMs: number;
    /** Alert received → verified healthy (null when not resolved). */
    alertToHealthyMs: number | null;
    /** Fault injected → verified healthy (null when not resolved). */
    faultToHealthyMs: number | null;
    requestsSent: number;
    requestsFailed: number;
    /** Failed requests between the fault and verified health (or the incident's end). */
    requestsFailedDuringIncident: number;
  };
}

/**
 * Play one scenario on the real stack: a target container on the local Docker engine, real Prometheus
 * scraping it with the lab's fast rules, real Alertmanager posting to AegisOps, and a bounded load
 * generator keeping requests flowing. Everything started here is stopped here, whatever happens.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const say = opts.progress ?? (() => {});
  const { scenario, docker } = opts;
  const profile = PROFILES.fast;
  const dir = mkdtempSync(join(tmpdir(), "aegis-demo-"));
  const name = `aegis-demo-${scenario.name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const checkAborted = () => {
    if (opts.signal?.aborted) throw new Error("demo interrupted");
  };
  try {
    const port = await freePort();
    say(`starting target container ${name} on 127.0.0.1:${port}`);
    cleanups.push(() =>
      docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined),
    );
    // A restart policy as production would have; the crash scenario needs one to crash-loop.
    await runTarget(docker, {
      name,
      port,
      restartPolicy: { Name: scenario.fault === "config" ? "always" : "no" },
      ...(scenario.env ? { env: scenario.env } : {}),
      ...(scenario.memoryMb ? { memoryMb: scenario.memoryMb } : {}),
    });
    await pollUntil(() => answersHealth(port), 20_000, "the target to answer", opts.signal);
    checkAborted();

    // Prometheus needs Alertmanager's address and AegisOps needs Prometheus': fix the port first.
    const alertmanagerPort = await freePort();
    say(`starting Prometheus (fast profile: scrape and evaluate every ${profile.scrapeInterval})`);
    const prometheus = await startPrometheus({
      dir,
      profile,
      targets: [{ address: `127.0.0.1:${port}`, labels: { container: name } }],
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
    });
    cleanups.push(() => prometheus.stop());
    say(`starting AegisOps (auto mode${scenario.predictive ? ", predictive watcher on" : ""})`);
    const responder = await opts.startResponder({
      prometheusUrl: prometheus.url,
      dbPath: join(dir, "aegis.db"),
      ...(scenario.predictive && scenario.memoryMb
        ? { predictive: { container: name, limitBytes: scenario.memoryMb * 1024 * 1024 } }
        : {}),
    });
    cleanups.push(() => responder.stop());
    say("starting Alertmanager");
    const alertmanager = await startAlertmanager({
      dir,
      profile,
      webhookUrl: `${responder.url}/alerts`,
      port: alertmanagerPort,
    });
    cleanups.push(() => alertmanager.stop());
    await waitForTargetsUp(prometheus.url, 1, 30_000, opts.signal);
    checkAborted();

    const load = startLoad({
      url: `http://127.0.0.1:${port}/`,
      concurrency: 4,
      requestsPerSecond: 100,
      maxDurationMs: 120_000,
    });
    cleanups.push(() => load.stop());
    // A little healthy traffic first, so rates have a baseline (the forecast wants a baseline too).
    await new Promise((r) => setTimeout(r, scenario.predictive ? 10_000 : 1000));

    say(`injecting fault: ${scenario.description}`);
    const faultAt = Date.now();
    await fault(port, scenario.fault);

    const incident = await pollUntil(
      async () => {
        const recent = await responder.incidents.list({ limit: 20 });
        const mine = recent.find(
          (i) => i.target.key === `docker:container/${name}` && Date.parse(i.receivedAt) >= faultAt,
        );
        return mine && isTerminal(mine.status) ? mine : undefined;
      },
      opts.timeoutMs ?? (scenario.predictive ? 240_000 : 60_000),
      "AegisOps to finish the incident",
      opts.signal,
    );
    const endedAt = Date.parse(
      incident.verifiedAt ?? incident.timeline.at(-1)?.at ?? new Date().toISOString(),
    );
    const loadReport = await load.stop();
    const resolved = incident.status === "resolved" && incident.verifiedAt !== null;
    // A predicted failure must be healed before it happens: no OOM kill, and raised by the watcher.
    const oomKilled = (await docker.getContainer(name).inspect()).State.OOMKilled;
    const predicted = incident.alerts[0]?.labels.aegis_source === "predictive";
    return {
      scenario: scenario.name,
      container: name,
      incident,
      expected: { action: scenario.expectedAction, status: scenario.expectedStatus },
      passed:
        incident.status === scenario.expectedStatus &&
        incident.decision?.action === scenario.expectedAction &&
        (!scenario.predictive || (predicted && !oomKilled)),
      figures: {
        timeToDetectMs: Date.parse(incident.receivedAt) - faultAt,
        alertToHealthyMs: resolved ? incident.mttrMs : null,
        faultToHealthyMs: resolved ? endedAt - faultAt : null,
        requestsSent: loadReport.sent,
        requestsFailed: loadReport.failed,
        requestsFailedDuringIncident: load.failuresBetween(faultAt, endedAt),
      },
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => say(`cleanup: ${String(err)}`));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createAegis } from "../../app/compose.ts";
import { openMemory } from "../../app/openMemory.ts";
import { openDatabase } from "../../store/db.ts";
import { seedMemory } from "../retrieval/harness.ts";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import type { Policy } from "../../agent/policy/schema.ts";
import type { Platform } from "../../agent/platforms/platform.ts";
import { loadConfig } from "../../core/config.ts";
import { describeError } from "../../core/errors.ts";
import { silentLogger } from "../../core/logger.ts";
import { isTerminal, type Incident } from "../../core/types.ts";
import { startServer } from "../../server/listen.ts";
import { expectedRootCauses } from "./score.ts";
import { resolvePodLabels, resolvePodRefs, startKubeEnv, type KubeEnv } from "./kubeEnv.ts";
import { toPayload } from "./payload.ts";
import { startFakeAlertmanager, type FakeAlertmanager } from "./fakeAlertmanager.ts";
import { startFakePrometheus } from "./fakePrometheus.ts";
import { createRecordedDockerPlatform } from "./recordedDocker.ts";
import { sourceOf, type CassetteSource } from "../../agent/planners/llm/cassette.ts";
import type { Scenario } from "./scenario.ts";

/** The policy every scenario starts from (evals/policy.yaml). */
const EVAL_POLICY_FILE = new URL("../policy.yaml", import.meta.url).pathname;
export const CASSETTES_DIR = new URL("../cassettes/", import.meta.url).pathname;

export interface RunOptions {
  planner: "heuristic" | "llm";
  /** `model@promptVersion` for the llm planner. */
  model: string;
  /** llm planner: replay recorded answers (no network), or record them with a real key. */
  cassetteMode: "replay" | "record";
  /**
   * A database with the runbooks already loaded (see {@link prepareTemplateDb}), copied for each scenario so
   * that no run pays for embedding them again. Optional: without it each run loads them itself.
   */
  templateDb?: string;
  /** The model API to record from (OPENAI_API_KEY, OPENAI_BASE_URL); unused in replay. */
  openai: { apiKey: string | undefined; baseUrl: string | undefined };
  /** What a recording is stamped as; by default from the base URL (hosted API, or a local server). */
  cassetteSource?: CassetteSource | undefined;
  /** Kubernetes scenarios: the simulated clusters serve HTTPS with their own certificate, so kubectl works. */
  simTls?: boolean | undefined;
  /**
   * Kubernetes scenarios: called once every incident finished, before anything is torn down, with a kubeconfig
   * (admin token) for the scenario's clusters; the run waits for it. The clusters' clock stands still meanwhile.
   * In this process only (not across worker processes).
   */
  hold?: ((held: { scenario: Scenario; kubeconfig: string }) => Promise<void>) | undefined;
}

/** What one scenario run produced, before scoring. */
export interface ScenarioRun {
  scenario: Scenario;
  /** Every incident the scenario's notifications created or joined, first one first. */
  incidents: Incident[];
  /** Simulated milliseconds from the first notification to the first incident verified healthy. */
  simTtrMs: number | null;
  wallMs: number;
  /** llm planner: requests the cassette had no answer for (the planner fell back). */
  offScript: number;
  /** llm planner: where the cassette's answers came from, `none` when the scenario has no recording. */
  cassetteSource: CassetteSource | "none" | null;
  /** Set when the scenario could not be run to the end (environment error, an incident that never finished). */
  error?: string;
  /** The expected root causes with `$pod(...)` resolved against the cluster (when the scenario names one). */
  rootCauses?: string[];
}

/** How often the run looks whether the scenario's incidents finished (real time; the cluster's clock stands still). */
const POLL_REAL_MS = 10;
/** Real milliseconds an incident may take before the run gives up on it. */
const FINISH_TIMEOUT_MS = 60_000;

/**
 * Run one scenario against a fresh AegisOps (own database, own runbook memory) and a fresh environment:
 * the simulated cluster on a virtual clock that moves only with the agent's own waits, or the recorded
 * Docker engine. Notifications go through the real webhook over loopback.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioRun> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "aegis-eval-"));
  const env = scenario.environment;
  let kube: KubeEnv | undefined;
  let cleanup: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const result = (partial: Omit<ScenarioRun, "scenario" | "wallMs">): ScenarioRun => ({
    scenario,
    wallMs: Math.round(performance.now() - started),
    ...partial,
  });
  try {
    if (opts.templateDb) copyFileSync(opts.templateDb, join(dir, "aegis.db"));
    const vars: Record<string, string> = {
      AEGIS_DB: join(dir, "aegis.db"),
      AEGIS_MODE: scenario.mode,
      AEGIS_EMBEDDER: "local",
      AEGIS_LOG_LEVEL: "silent",
      AEGIS_PLANNER: opts.planner,
    };
    let platforms: Platform[] | undefined;
    let clock: { now: () => number; sleep: (ms: number) => Promise<void> };
    if (env.kind === "kubernetes") {
      kube = await startKubeEnv(env, scenario, { tls: opts.simTls });
      cleanup.unshift(() => kube!.stop());
      const kubeconfig = join(dir, "kubeconfig");
      writeFileSync(kubeconfig, kube.kubeconfig);
      vars.KUBECONFIG = kubeconfig;
      const sim = kube.sim;
      const clusters = kube;
      // Verification's waits move the cluster's clock by exactly what they wait: deterministic recovery times.
      clock = {
        now: () => sim.clock.now(),
        sleep: async (ms) => {
          clusters.advance(ms);
          await delay(1);
        },
      };
    } else {
      // The schema holds either form: several containers, or one (`container` and `before` are then both given).
      const recorded = env.containers
        ? { containers: env.containers }
        : { container: env.container!, before: env.before!, after: env.after };
      platforms = [createRecordedDockerPlatform(recorded).platform];
      // No cluster clock: simulated time moves only when the agent waits.
      let t = Date.now();
      clock = { now: () => t, sleep: async (ms) => void ((t += ms), await delay(0)) };
    }
    const cassette = opts.planner === "llm" ? prepareCassette(scenario, opts, dir) : null;
    if (cassette) {
      vars.AEGIS_MODEL = opts.model;
      vars.OPENAI_API_KEY = opts.openai.apiKey ?? "replay-only";
      if (opts.openai.baseUrl) vars.OPENAI_BASE_URL = opts.openai.baseUrl;
      vars.AEGIS_LLM_CASSETTE = cassette.path;
      vars.AEGIS_LLM_CASSETTE_MODE = opts.cassetteMode;
      if (opts.cassetteSource) vars.AEGIS_LLM_CASSETTE_SOURCE = opts.cassetteSource;
    }
    let am: FakeAlertmanager | undefined;
    if (scenario.alertmanager) {
      am = await startFakeAlertmanager(scenario.alertmanager, () => clock.now());
      cleanup.unshift(() => am!.stop());
      vars.ALERTMANAGER_URL = am.url;
    }
    if (kube?.history) {
      const prom = await startFakePrometheus(kube.history, () => clock.now());
      cleanup.unshift(() => prom.stop());
      vars.PROMETHEUS_URL = prom.url;
    }
    const config = loadConfig(vars);
    if (scenario.memory.length > 0) await seedScenarioMemory(config, scenario);
    const aegis = await createAegis(config, {
      logger: silentLogger(),
      policy: scenarioPolicy(scenario),
      ...(platforms ? { platforms } : {}),
      clock,
      // Simulated time between health checks: recovery times to 2 s. Each check reads the whole workload, and
      // a fix that must flush the symptom from the log tail takes ~50 simulated seconds to verify.
      verifyIntervalMs: 2000,
    });
    cleanup.unshift(() => aegis.close());
    const server = await startServer(aegis.app, "127.0.0.1", 0);
    cleanup.unshift(() => server.close());
    await aegis.runner.start();
    const baseUrl = `http://127.0.0.1:${server.port}`;

    // The cluster's time stands still while the agent reads it (so every run sees the same evidence) and moves
    // only with the agent's own waits on its clock (an action's tool waiting for the cluster, verification's
    // checks), by exactly what they wait: a wrong action shows as a service that did not recover, and how much
    // simulated time passes does not depend on how busy the machine is.
    const t0 = clock.now();
    const ids: string[] = [];
    let simTtrMs: number | null = null;
    const finished = new Map<string, Incident>();
    const waitAll = async () => {
      const deadline = Date.now() + FINISH_TIMEOUT_MS;
      for (;;) {
        // Every incident in the scenario's own database came from its notifications: counting statuses (one
        // query) tells whether any is still open, without reading each incident back every poll.
        const counts = await aegis.incidents.countByStatus();
        if (counts.resolved > 0 && simTtrMs === null) simTtrMs = clock.now() - t0;
        const open = Object.entries(counts).reduce(
          (n, [status, count]) =>
            isTerminal(status as Incident["status"]) || status === "awaiting_approval" ? n : n + count,
          0,
        );
        if (open === 0) {
          for (const id of ids) {
            const inc = await aegis.incidents.get(id);
            if (inc) finished.set(id, inc);
          }
          return;
        }
        if (Date.now() > deadline)
          throw new Error(`${open} incident(s) did not finish within ${FINISH_TIMEOUT_MS / 1000} s`);
        await delay(POLL_REAL_MS);
      }
    };
    for (const n of scenario.notifications) {
      const concurrent = "concurrent" in n && n.concurrent;
      if (!concurrent) await waitAll();
      if ("afterMs" in n && n.afterMs > 0) kube?.advance(n.afterMs);
      const payload = toPayload(resolvePodLabels(n, kube), new Date(Date.now() - 60_000), clock.now());
      am?.deliver(payload.alerts);
      const res = await fetch(`${baseUrl}/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      const body = (await res.json()) as { incidents?: Array<{ id: string }>; error?: string };
      if (res.status !== 202) throw new Error(`POST /alerts: HTTP ${res.status} ${body.error ?? ""}`);
      for (const i of body.incidents ?? []) if (!ids.includes(i.id)) ids.push(i.id);
    }
    await waitAll();
    if (opts.hold && kube) await opts.hold({ scenario, kubeconfig: kube.adminKubeconfig });
    if (cassette && opts.cassetteMode === "record" && aegis.cassette) {
      mkdirSync(dirname(cassette.target), { recursive: true });
      aegis.cassette.save(cassette.target);
    }
    const causes = expectedRootCauses(scenario);
    return result({
      ...(causes && kube ? { rootCauses: causes.map((c) => resolvePodRefs(c, kube!)) } : {}),
      incidents: ids.map((id) => finished.get(id)!).filter(Boolean),
      simTtrMs,
      offScript: aegis.cassette?.misses.length ?? 0,
      cassetteSource: cassette ? (cassette.recorded ? sourceOf(aegis.cassette!.file) : "none") : null,
    });
  } catch (err) {
    return result({
      incidents: [],
      simTtrMs: null,
      offScript: 0,
      cassetteSource: null,
      error: describeError(err),
    });
  } finally {
    for (const c of cleanup) {
      try {
        await c();
      } catch {
        // Best effort: one failed teardown must not hide the scenario's result.
      }
    }
    cleanup = [];
  }
}

/** Records the scenario's past incidents in its database's runbook memory, before AegisOps opens it. */
async function seedScenarioMemory(config: ReturnType<typeof loadConfig>, scenario: Scenario): Promise<void> {
  const db = openDatabase(config.dbPath);
  try {
    const { memory } = await openMemory(config, db, silentLogger(), { runbooksDir: config.runbooksDir });
    await seedMemory(memory, scenario.memory);
  } finally {
    db.close();
  }
}

/** A fresh AegisOps database with the bundled runbooks loaded, for {@link RunOptions.templateDb}. */
export async function prepareTemplateDb(dir: string): Promise<string> {
  const path = join(dir, "template.db");
  const config = loadConfig({ AEGIS_DB: path, AEGIS_EMBEDDER: "local", AEGIS_LOG_LEVEL: "silent" });
  const aegis = await createAegis(config, { logger: silentLogger(), platforms: [] });
  await aegis.close();
  return path;
}

/** The eval policy with the scenario's overrides merged over it. */
export function scenarioPolicy(scenario: Scenario): Policy {
  const base = parsePolicy(readFileSync(EVAL_POLICY_FILE, "utf8"), EVAL_POLICY_FILE);
  const env = scenario.environment;
  // Several clusters: each region is its own kube context, unless the scenario's policy maps them itself.
  const regions =
    env.kind === "kubernetes" && env.region !== undefined && Object.keys(env.regions).length > 0
      ? [env.region, ...Object.keys(env.regions)]
      : [];
  const overrides: Record<string, unknown> = { ...scenario.policy };
  if (regions.length > 0 && overrides.clusters === undefined)
    overrides.clusters = Object.fromEntries(regions.map((r) => [r, { context: r }]));
  if (Object.keys(overrides).length === 0) return base;
  return parsePolicy(JSON.stringify(deepMerge(base, overrides)), `${scenario.file} (policy)`);
}

/**
 * Where the llm planner's answers for this scenario are recorded: the scenario's own `cassette`, else
 * `evals/cassettes/<model@prompt>/<id>.json`. A replay with no cassette gets an empty one, so every request is
 * off-script and the planner falls back, which the report shows.
 */
function prepareCassette(
  scenario: Scenario,
  opts: RunOptions,
  dir: string,
): { path: string; target: string; recorded: boolean } {
  const target = scenario.cassette
    ? resolve(CASSETTES_DIR, scenario.cassette)
    : resolve(CASSETTES_DIR, opts.model, `${scenario.id}.json`);
  if (opts.cassetteMode === "record") return { path: target, target, recorded: true };
  if (existsSync(target)) return { path: target, target, recorded: true };
  const empty = join(dir, "empty-cassette.json");
  writeFileSync(
    empty,
    JSON.stringify({ synthetic: true, note: "no recording for this scenario", entries: [] }),
  );
  return { path: empty, target, recorded: false };
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

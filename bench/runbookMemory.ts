/**
 * Runbook memory at scale: load 10,000 remembered incidents (embedding included) into a fresh database
 * file, then time top-5 hybrid queries (vector + FTS5 + exact matches, fused) over them and the runbooks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAILURE_FAMILIES, type ActionId } from "../core/catalog.ts";
import type { FixRecord } from "../runbooks/memory/fixMemory.ts";
import { openRunbookMemory } from "../runbooks/memory/openMemory.ts";
import { openDatabase } from "../store/db.ts";
import { percentile, type BenchRow } from "./report.ts";

const ENTRIES = 10_000;
const QUERIES = 300;

const SYMPTOMS: Record<string, string[]> = {
  crashloop: ["CrashLoopBackOff, restarts climbing, exit code 1", "container exits at start: missing env"],
  http_5xx: ["HTTP 500 on {p}% of requests", "502 Bad Gateway from ingress, upstream errors"],
  memory_leak: ["working set grows {n} MiB/h towards the limit", "heap keeps growing after GC"],
  oom_killed: ["OOMKilled exit 137 {n} times", "Memory cgroup out of memory: killed process"],
  latency_p95: ["p95 latency {n} ms above objective", "slow responses, tail latency up"],
  hung_service: ["health check times out, process alive", "liveness probe failed: context deadline exceeded"],
  node_not_ready: ["node worker-{n} NotReady, kubelet stopped posting status", "PLEG not healthy"],
  disk_pressure: ["filesystem {p}% full, DiskPressure", "no space left on device"],
  db_latency: ["query p99 {n} ms on the primary", "statement timeout, lock waits"],
  packet_loss: ["{p}% packet loss, TCP retransmits", "connection reset by peer between pods"],
  traffic_spike: ["requests per second x{p}, HPA at max replicas", "CPU saturated under load"],
  kafka_lag: ["consumer group lag {n} and rising", "{p} consumers for 24 partitions"],
  queue_depth: ["queue backlog {n} messages", "ready messages piling up, consumers idle"],
  upstream_throttling: ["upstream answers 429 Too Many Requests", "rate limit exceeded, Retry-After {p}"],
};
const ACTIONS: ActionId[] = ["restart_pod", "rollout_restart", "scale_deployment", "rollback_deployment"];
const SERVICES = [
  "checkout",
  "orders",
  "payments",
  "search",
  "catalog",
  "cart",
  "billing",
  "shipping",
  "users",
];

/** Deterministic pseudo-random numbers, so every run measures the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function syntheticIncidents(n: number): FixRecord[] {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const family = pick(FAILURE_FAMILIES);
    const service = `${pick(SERVICES)}-${Math.floor(rand() * 200)}`;
    const line = pick(SYMPTOMS[family]!)
      .replace("{n}", String(Math.floor(rand() * 5000)))
      .replace("{p}", String(Math.floor(rand() * 90) + 5));
    return {
      incidentId: `inc_bench_${i}`,
      signature: [family],
      family,
      action: pick(ACTIONS),
      outcome: rand() < 0.8 ? "verified" : "failed",
      targetKind: "k8s_workload",
      text: `${family}Alert\nservice ${service}\n${line}\nrelease ${Math.floor(rand() * 100)} on cluster eu-${i % 7}`,
      alertNames: [`${family}Alert`],
      services: [service],
    } satisfies FixRecord;
  });
}

/** Load time for 10,000 entries and p50/p95 of a top-5 query over them. */
export async function benchRunbookMemory(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-memory-"));
  const db = openDatabase(join(dir, "aegis.db"), "normal");
  try {
    const { memory } = await openRunbookMemory(db, {
      runbooksDir: join(import.meta.dirname, "..", "runbooks"),
      embedder: { kind: "local" },
    });
    const incidents = syntheticIncidents(ENTRIES);
    const t0 = performance.now();
    await memory.loadIncidents(incidents);
    const loadMs = performance.now() - t0;

    const rand = rng(7);
    const texts = Array.from({ length: QUERIES }, () => {
      const family = FAILURE_FAMILIES[Math.floor(rand() * FAILURE_FAMILIES.length)]!;
      return `${SYMPTOMS[family]![0]!.replace("{n}", "900").replace("{p}", "40")} on ${SERVICES[Math.floor(rand() * SERVICES.length)]}`;
    });
    for (const t of texts.slice(0, 20)) await memory.recall({ text: t }, 5); // warm the page cache
    const times: number[] = [];
    for (const text of texts) {
      const q0 = performance.now();
      await memory.recall({ text, alertNames: ["crashloopAlert"], services: ["checkout-1"] }, 5);
      times.push(performance.now() - q0);
    }
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    return [
      {
        name: `load ${ENTRIES} entries (embed + insert)`,
        value: loadMs / 1000,
        unit: "s",
        goal: "< 5",
        ok: loadMs < 5000,
      },
      { name: `top-5 query over ${ENTRIES} entries p50`, value: p50, unit: "ms", goal: "< 10", ok: p50 < 10 },
      {
        name: `top-5 query over ${ENTRIES} entries p95`,
        value: percentile(times, 95),
        unit: "ms",
        goal: "",
        ok: true,
      },
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

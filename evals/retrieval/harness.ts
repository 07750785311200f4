import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { isActionId } from "../../core/catalog.ts";
import type { FixMemory, MemoryHit } from "../../runbooks/memory/fixMemory.ts";
import { queryFromIncident } from "../../runbooks/memory/incidentQuery.ts";

/** Where the labelled sets live. */
export const RETRIEVAL_DIR = fileURLToPath(new URL(".", import.meta.url));

const alertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
});
const querySchema = z.object({
  id: z.string(),
  type: z.enum(["alert", "text", "log"]),
  expect: z.string().min(1),
  text: z.string().optional(),
  alert: alertSchema.optional(),
});
const querySetSchema = z.object({ about: z.string().optional(), queries: z.array(querySchema).min(1) });
/** A past incident as the learn step records it (seeded into the runbook memory). */
export const incidentSchema = z.object({
  incidentId: z.string(),
  family: z.string().nullable(),
  action: z.string().refine(isActionId, "unknown action id"),
  outcome: z.enum(["verified", "failed"]),
  targetKind: z.string(),
  alertNames: z.array(z.string()).default([]),
  services: z.array(z.string()).default([]),
  signature: z.array(z.string()).default([]),
  text: z.string(),
});
const incidentSetSchema = z.object({ about: z.string().optional(), incidents: z.array(incidentSchema) });

export type RetrievalQuery = z.infer<typeof querySchema>;
export type SeedIncident = z.infer<typeof incidentSchema>;

/** Scores of one query set. */
export interface RetrievalScore {
  set: string;
  queries: number;
  recallAt1: number;
  recallAt3: number;
  mrr: number;
  misses: Array<{ id: string; expect: string; rank: number | null; top: string[] }>;
}

/** Read a labelled query set (JSON). */
export function readQuerySet(file: string): RetrievalQuery[] {
  return querySetSchema.parse(JSON.parse(readFileSync(file, "utf8"))).queries;
}

/** Read the past incidents to seed the memory with. */
export function readSeedIncidents(file: string): SeedIncident[] {
  return incidentSetSchema.parse(JSON.parse(readFileSync(file, "utf8"))).incidents;
}

/** Record the seed incidents as the learn step would. */
export async function seedMemory(memory: FixMemory, incidents: readonly SeedIncident[]): Promise<void> {
  for (const i of incidents) {
    await memory.record({
      incidentId: i.incidentId,
      signature: i.signature,
      family: i.family,
      action: i.action as Parameters<FixMemory["record"]>[0]["action"],
      outcome: i.outcome,
      targetKind: i.targetKind,
      text: i.text,
      alertNames: i.alertNames,
      services: i.services,
    });
  }
}

/** What a hit answers: the runbook id, or `incident:<id>` of the incident that made the entry. */
export function hitLabel(hit: MemoryHit): string {
  return hit.kind === "runbook" ? hit.key : `incident:${hit.key.split(":")[1] ?? hit.key}`;
}

function relevant(q: RetrievalQuery, hit: MemoryHit): boolean {
  if (q.expect.startsWith("incident:")) return hitLabel(hit) === q.expect;
  // A family query is answered by its runbook, or by a remembered incident of that family.
  return (
    (hit.kind === "runbook" && hit.key === q.expect) || (hit.kind === "incident" && hit.scenario === q.expect)
  );
}

/** Run one labelled set against a memory: recall@1, recall@3 and MRR (over the top 10). */
export async function scoreQuerySet(
  memory: FixMemory,
  set: string,
  queries: readonly RetrievalQuery[],
): Promise<RetrievalScore> {
  let at1 = 0;
  let at3 = 0;
  let rr = 0;
  const misses: RetrievalScore["misses"] = [];
  for (const q of queries) {
    const query = q.alert ? queryFromIncident({ alerts: [q.alert] }) : { text: q.text ?? "" };
    const { hits } = await memory.recall(query, 10);
    const index = hits.findIndex((h) => relevant(q, h));
    const rank = index < 0 ? null : index + 1;
    if (rank === 1) at1++;
    if (rank !== null && rank <= 3) at3++;
    if (rank !== null) rr += 1 / rank;
    if (rank !== 1) misses.push({ id: q.id, expect: q.expect, rank, top: hits.slice(0, 3).map(hitLabel) });
  }
  const n = queries.length;
  return { set, queries: n, recallAt1: at1 / n, recallAt3: at3 / n, mrr: rr / n, misses };
}

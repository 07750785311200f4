import type { Target } from "../../core/types.ts";
import { SqliteActionLedger } from "../../store/actionLedger.ts";
import { openDatabase } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";

/**
 * A store (SQLite in memory) holding one finished incident on a Docker container whose scale_service went through
 * the ledger as the act node records it: the intent with `params`, then `send()`'s result as sent. For the tests of
 * a person's undo, which starts from there.
 */
export async function resolvedScaleIncident(
  target: Extract<Target, { kind: "docker_container" }>,
  params: Record<string, unknown>,
  send: () => Promise<Record<string, unknown>>,
  startsAt = "2026-12-07T10:00:00Z",
) {
  const db = openDatabase(":memory:");
  const incidents = new SqliteIncidentRepository(db);
  const ledger = new SqliteActionLedger(db);
  const alert = {
    status: "firing" as const,
    labels: { alertname: "Saturated", container: target.name },
    annotations: {},
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint: `f-${target.name}`,
  };
  const [created] = await incidents.ingest([{ alert, target }], new Date().toISOString());
  const id = created!.incidentId;
  const key = `${id}:act:1`;
  await ledger.begin({
    key,
    incidentId: id,
    action: "scale_service",
    target: target.name,
    targetKey: target.key,
    params,
    attempt: 1,
    requestedAt: new Date().toISOString(),
  });
  await ledger.complete(key, { state: "sent", result: await send() });
  await incidents.setStatus(id, "resolved", "verified healthy after the action");
  return { incidents, ledger, id, key };
}

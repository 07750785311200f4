import { describe, expect, it } from "vitest";
import type { Platform } from "../../../agent/platforms/platform.ts";
import { createPersonUndo, type UndoCount } from "../../../agent/undo/personUndo.ts";
import type { ActionRecord, Target } from "../../../core/types.ts";
import { SqliteActionLedger } from "../../../store/actionLedger.ts";
import { openDatabase } from "../../../store/db.ts";
import { SqliteIncidentRepository } from "../../../store/incidentRepository.ts";
import { resolvedScaleIncident } from "../../helpers/sentAction.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

const web: Extract<Target, { kind: "docker_container" }> = {
  kind: "docker_container",
  key: "docker:container/web",
  name: "web",
};

/**
 * A Docker platform that records the undos it is asked to send: what reaches it is what would reach the engine.
 * (The platform's own undo is tested on the simulator and the engine; this file is about the ledger around it.)
 */
function recordingPlatform(sent: ActionRecord[]): Platform {
  const never = () => Promise.reject(new Error("not used here"));
  return {
    kinds: ["docker_container"],
    actions: ["scale_service"],
    locate: never,
    investigate: never,
    execute: never,
    reconcile: never,
    rollback: never,
    checkHealth: never,
    undo: async (record) => {
      sent.push(record);
      // Let the other request run meanwhile, as a real engine call would.
      await new Promise((r) => setTimeout(r, 20));
      return { rolledBack: true, detail: "scaled back to 1 replica(s)" };
    },
  };
}

/** One store (replicas share it) with a finished incident that scaled web from 1 to 3. */
const scaledIncident = () =>
  resolvedScaleIncident(web, { replicas: 3 }, async () => ({ previousReplicas: 1, replicas: 3 }));

describe("a person's undo through the action ledger", () => {
  it("two replicas asked at once (one store, two undo services) send one undo; the other is refused", async () => {
    const store = await scaledIncident();
    const sent: ActionRecord[] = [];
    const replicaA = createPersonUndo({ ...store, platforms: [recordingPlatform(sent)] });
    const replicaB = createPersonUndo({ ...store, platforms: [recordingPlatform(sent)] });
    const [a, b] = await Promise.all([
      replicaA(store.id, { by: "alice", via: "api" }),
      replicaB(store.id, { by: "bob", via: "slack" }),
    ]);
    expect(sent).toHaveLength(1);
    const outcomes = [a, b].map((o) => o.kind).sort();
    expect(outcomes).toEqual(["done", "refused"]);
    const refused = [a, b].find((o) => o.kind === "refused");
    expect(refused).toMatchObject({ code: "already_undone" });
    const undos = (await store.incidents.get(store.id))!.actions.filter((r) => r.params.undoOf === store.key);
    expect(undos).toHaveLength(1);
    expect(undos[0]).toMatchObject({ key: `${store.key}:undo:1`, state: "sent" });
  });

  it("after a crash mid-undo (a pending record, no result) it is not sent again unless a person confirms", async () => {
    const store = await scaledIncident();
    // The process stopped after recording the intent and before recording the result.
    await store.ledger.begin({
      key: `${store.key}:undo:1`,
      incidentId: store.id,
      action: "scale_service",
      target: "web",
      targetKey: web.key,
      params: { undoOf: store.key, by: "alice", via: "api", request: "r1" },
      attempt: 1,
      requestedAt: "2026-12-07T10:05:00.000Z",
    });
    const sent: ActionRecord[] = [];
    const undo = createPersonUndo({ ...store, platforms: [recordingPlatform(sent)] });
    const retried = await undo(store.id, { by: "alice", via: "api" });
    expect(retried).toMatchObject({ kind: "refused", code: "undo_in_doubt", confirmable: true });
    expect(retried.kind === "refused" && retried.message).toMatch(
      /an undo asked by alice at 2026-12-07T10:05:00.000Z never recorded its result .*look at docker:container\/web/,
    );
    expect(sent).toEqual([]);

    const confirmed = await undo(store.id, { by: "alice", via: "api", confirm: true });
    expect(confirmed).toMatchObject({ kind: "done", undone: true, key: `${store.key}:undo:2` });
    expect(sent).toHaveLength(1);
    const undos = (await store.incidents.get(store.id))!.actions.filter((r) => r.params.undoOf === store.key);
    expect(undos.map((u) => u.state)).toEqual(["failed", "sent"]);
    expect(await undo(store.id, { by: "bob", via: "api", confirm: true })).toMatchObject({
      kind: "refused",
      code: "already_undone",
    });
    expect(sent).toHaveLength(1);
  });

  it("an undo that failed at the platform is recorded failed with the error, and may be asked again", async () => {
    const store = await scaledIncident();
    let calls = 0;
    const flaky: Platform = {
      ...recordingPlatform([]),
      undo: async () => {
        calls += 1;
        if (calls === 1) throw new Error("connect ECONNREFUSED /var/run/docker.sock");
        return { rolledBack: true, detail: "scaled back to 1 replica(s)" };
      },
    };
    const counts: UndoCount[] = [];
    const undo = createPersonUndo({ ...store, platforms: [flaky], counted: (c) => counts.push(c) });
    expect(await undo(store.id, { by: "alice", via: "dashboard" })).toMatchObject({
      kind: "done",
      undone: false,
    });
    expect(await undo(store.id, { by: "alice", via: "dashboard" })).toMatchObject({
      kind: "done",
      undone: true,
    });
    const after = (await store.incidents.get(store.id))!;
    const undos = after.actions.filter((r) => r.params.undoOf === store.key);
    expect(undos.map((u) => [u.state, u.params.via])).toEqual([
      ["failed", "dashboard"],
      ["sent", "dashboard"],
    ]);
    expect(undos[0]!.error).toMatch(/ECONNREFUSED/);
    // What /metrics counts (aegis_undo_total): the failure, the undo sent, then the refusal of a third ask.
    await undo(store.id, { by: "bob", via: "slack" });
    expect(counts).toEqual([
      { action: "scale_service", result: "failed", via: "dashboard" },
      { action: "scale_service", result: "sent", via: "dashboard" },
      { action: "scale_service", result: "refused", via: "slack" },
    ]);
    expect(after.timeline.filter((e) => e.step === "undo").map((e) => e.message)).toEqual([
      "alice asked to undo scale_service",
      expect.stringMatching(/^not undone: the undo failed: /),
      "alice asked to undo scale_service",
      "undone: scaled back to 1 replica(s)",
    ]);
  });

  it("refused while another incident works on the same object now; the reason names it", async () => {
    const store = await scaledIncident();
    const later = {
      status: "firing" as const,
      labels: { alertname: "Saturated", container: "web" },
      annotations: {},
      startsAt: "2026-12-07T11:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: "f-web",
    };
    const [open] = await store.incidents.ingest([{ alert: later, target: web }], new Date().toISOString());
    expect(open!.incidentId).not.toBe(store.id);
    const sent: ActionRecord[] = [];
    const undo = createPersonUndo({ ...store, platforms: [recordingPlatform(sent)] });
    const refused = await undo(store.id, { by: "alice", via: "api" });
    expect(refused).toMatchObject({ kind: "refused", code: "object_busy", confirmable: true });
    expect(refused.kind === "refused" && refused.message).toContain(
      `incident ${open!.incidentId} is working on docker:container/web now (open)`,
    );
    expect(sent).toEqual([]);
  });

  it("refused while an incident on the Deployment works on it now, when the action was taken for one of its pods' alerts", async () => {
    const db = openDatabase(":memory:");
    const incidents = new SqliteIncidentRepository(db);
    const ledger = new SqliteActionLedger(db);
    const alert = (labels: Record<string, string>, fingerprint: string) => ({
      status: "firing" as const,
      labels: { alertname: "KubePodCrashLooping", namespace: "shop", ...labels },
      annotations: {},
      startsAt: "2026-12-07T10:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint,
    });
    const pod = k8sWorkload("checkout-7d9f-abcde", { workload: "pod" });
    const deployment = k8sWorkload("checkout");
    const [first] = await incidents.ingest(
      [{ alert: alert({ pod: pod.name }, "f-pod"), target: pod }],
      new Date().toISOString(),
    );
    const key = `${first!.incidentId}:act:1`;
    // As the act node records a rollback taken for a pod's alert: against the owning Deployment.
    await ledger.begin({
      key,
      incidentId: first!.incidentId,
      action: "rollback_deployment",
      target: "shop/deployment/checkout",
      targetKey: deployment.key,
      params: {},
      attempt: 1,
      requestedAt: new Date().toISOString(),
    });
    await ledger.complete(key, { state: "sent", result: { toTemplateHash: "abc" } });
    await incidents.setStatus(first!.incidentId, "resolved", "verified healthy after the action");
    const [open] = await incidents.ingest(
      [{ alert: alert({ deployment: "checkout" }, "f-dep"), target: deployment }],
      new Date().toISOString(),
    );

    const undo = createPersonUndo({ incidents, ledger, platforms: [] });
    const refused = await undo(first!.incidentId, { by: "alice", via: "api" });
    expect(refused).toMatchObject({ kind: "refused", code: "object_busy", confirmable: true });
    expect(refused.kind === "refused" && refused.message).toContain(
      `incident ${open!.incidentId} is working on`,
    );
  });
});

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Embedder } from "../../runbooks/memory/embedder.ts";
import { SqliteRunbookMemory } from "../../runbooks/memory/runbookMemory.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { checkout5xx, openTestMemory, tempDir } from "./helpers.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function dbFile(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, "aegis.db");
}

async function open(path = dbFile(), opts: Parameters<typeof openTestMemory>[1] = {}) {
  const opened = await openTestMemory(path, opts);
  cleanups.push(() => opened.db.close());
  return opened;
}

/** A second embedder, of another dimension, to switch to. */
class BagOfLettersEmbedder implements Embedder {
  readonly id = "test-letters:26";
  readonly dimension = 26;
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(26);
      for (const ch of t.toLowerCase()) {
        const i = ch.charCodeAt(0) - 97;
        if (i >= 0 && i < 26) v[i]! += 1;
      }
      return v;
    });
  }
}

const vectorsBy = (db: Db) =>
  db.prepare("SELECT embedder, dimension, count(*) AS n FROM memory_chunks GROUP BY 1, 2").all();

describe("runbook memory: hybrid retrieval", () => {
  it("ranks the crash-loop runbook first for a config crash, with the reasons", async () => {
    const { memory } = await open();
    const hits = await memory.search("pod keeps restarting with exit 78 missing DATABASE_URL", 5);
    expect(hits[0]).toMatchObject({ key: "crashloop", kind: "runbook", scenario: "crashloop" });
    expect(hits[0]!.reasons.join("; ")).toMatch(/vector similarity .*full-text .*restart/);
    expect(hits[0]!.actions).toContain("rollback_deployment");
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
  });

  it("uses exact matches on alert name, service, target kind and signals", async () => {
    const { memory } = await open();
    const { hits } = await memory.recall({
      text: "KubeNodeNotReady worker-3",
      alertNames: ["KubeNodeNotReady"],
      targetKind: "k8s_node",
      signals: ["node_not_ready"],
    });
    expect(hits[0]!.key).toBe("node_not_ready");
    expect(hits[0]!.reasons).toEqual(
      expect.arrayContaining([
        "alert name kubenodenotready",
        "target kind k8s_node",
        "signals node_not_ready",
      ]),
    );
  });

  it("records which embedder and dimension made each vector, and re-embeds when the embedder changes", async () => {
    const path = dbFile();
    const first = await open(path);
    const localId = first.memory.embedder.id;
    expect(vectorsBy(first.db)).toEqual([{ embedder: localId, dimension: 256, n: expect.any(Number) }]);
    first.db.close();

    const db = openDatabase(path);
    cleanups.push(() => db.close());
    const other = await SqliteRunbookMemory.open(db, new BagOfLettersEmbedder());
    expect(other.stats()).toMatchObject({ embedder: "test-letters:26", dimension: 26, runbooks: 14 });
    expect(vectorsBy(db)).toEqual([{ embedder: "test-letters:26", dimension: 26, n: expect.any(Number) }]);
    expect((await other.search("disk full", 3)).length).toBeGreaterThan(0);
  });
});

describe("runbook memory: learning", () => {
  it("a verified fix becomes an entry that similar incidents recall with its outcome", async () => {
    const { memory } = await open();
    const result = await memory.record(checkout5xx("inc_1", "verified"));
    expect(result).toEqual({ entry: "incident:inc_1:restart_container", merged: false });

    const { hits, fixes } = await memory.recall({
      text: "checkout is answering 500 again, logs say pg pool exhausted",
      services: ["checkout"],
    });
    const incident = hits.find((h) => h.kind === "incident");
    expect(incident).toMatchObject({
      key: "incident:inc_1:restart_container",
      verified: 1,
      failed: 0,
      evidence: 1,
    });
    expect(incident!.reasons.join("; ")).toMatch(/service checkout/);
    expect(fixes[0]).toMatchObject({
      action: "restart_container",
      verified: 1,
      failed: 0,
      source: "incident",
    });
  });

  it("similar outcomes merge into one entry instead of piling up", async () => {
    const { memory } = await open();
    await memory.record(checkout5xx("inc_1", "verified"));
    const second = await memory.record(checkout5xx("inc_2", "verified"));
    expect(second).toEqual({ entry: "incident:inc_1:restart_container", merged: true });
    const entries = memory.list().filter((e) => e.kind === "incident");
    expect(entries).toHaveLength(1);
    expect(entries[0]!.outcomes.map((o) => o.incidentId)).toEqual(["inc_1", "inc_2"]);
    // The same outcome reported twice (a learn step re-run after a crash) counts once.
    await memory.record(checkout5xx("inc_2", "verified"));
    expect(memory.list().find((e) => e.kind === "incident")!.outcomes).toHaveLength(2);
  });

  it("a failed fix is kept as negative evidence and lowers that action for similar incidents", async () => {
    const { memory } = await open();
    await memory.record(checkout5xx("inc_1", "verified"));
    const before = (await memory.recall({ text: checkout5xx("q", "verified").text! })).fixes[0]!;
    await memory.record(checkout5xx("inc_2", "failed"));
    await memory.record(checkout5xx("inc_3", "failed"));
    const after = (await memory.recall({ text: checkout5xx("q", "verified").text! })).fixes[0]!;
    expect(before).toMatchObject({ action: "restart_container", verified: 1, failed: 0 });
    expect(after).toMatchObject({ action: "restart_container", verified: 1, failed: 2 });
    expect(after.evidence!).toBeLessThan(0);
    expect(after.evidence!).toBeLessThan(before.evidence!);
  });

  it("older evidence counts less than recent evidence", async () => {
    const path = dbFile();
    let now = new Date("2026-01-01T00:00:00Z");
    const { memory } = await open(path, { memory: { now: () => now, halfLifeDays: 30 } });
    await memory.record(checkout5xx("inc_old", "verified"));
    now = new Date("2026-03-02T00:00:00Z"); // 60 days later: two half-lives
    const fix = (await memory.recall({ text: checkout5xx("q", "verified").text! })).fixes[0]!;
    expect(fix.verified).toBe(1);
    expect(fix.evidence).toBeCloseTo(0.25, 2);
  });

  it("keeps runbooks and learned fixes across a restart without re-embedding", async () => {
    const path = dbFile();
    const first = await open(path);
    await first.memory.record(checkout5xx("inc_1", "verified"));
    const stats = first.memory.stats();
    first.db.close();

    const second = await open(path);
    expect(second.imported.unchanged).toHaveLength(14);
    expect(second.imported.added).toEqual([]);
    expect(second.memory.stats()).toEqual(stats);
    const { fixes } = await second.memory.recall({ text: checkout5xx("q", "verified").text! });
    expect(fixes[0]).toMatchObject({ action: "restart_container", verified: 1 });
  });
});

describe("runbook memory: upgrade", () => {
  it("brings in the fixes the first fix store learned, once", async () => {
    const path = dbFile();
    const db = openDatabase(path);
    db.prepare(
      `INSERT INTO learned_fixes (incident_id, signature, family, action, outcome, target_kind, recorded_at)
       VALUES ('inc_old', '["http_errors"]', 'http_5xx', 'restart_container', 'verified', 'docker_container', ?)`,
    ).run(new Date().toISOString());
    db.close();

    const first = await open(path);
    expect(first.memory.show("incident:inc_old:restart_container")).toMatchObject({
      scenario: "http_5xx",
      outcomes: [expect.objectContaining({ outcome: "verified" })],
    });
    first.db.close();
    const second = await open(path);
    expect(second.memory.list().filter((e) => e.kind === "incident")).toHaveLength(1);
  });
});

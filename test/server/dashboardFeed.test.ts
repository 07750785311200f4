import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { IncidentSummary } from "../../core/types.ts";
import { createIncidentFeed, type IncidentFeed } from "../../server/dashboard/feed.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository, type IncidentRepository } from "../../store/incidentRepository.ts";
import { waitFor } from "../helpers/docker.ts";
import { fixture, retarget } from "./helpers.ts";

let db: Db | undefined;
let dir: string | undefined;
let feed: IncidentFeed | undefined;
afterEach(() => {
  feed?.close();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  feed = db = dir = undefined;
});

/** A real SQLite repository whose full-incident reads fail: the feed must do with bounded summaries. */
function summariesOnly(repo: IncidentRepository): IncidentRepository {
  return new Proxy(repo, {
    get(target, prop, receiver) {
      if (prop === "list" || prop === "get") {
        return () => Promise.reject(new Error(`the feed read full incidents (${String(prop)})`));
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe("dashboard feed", () => {
  it("reports new and moved incidents from summaries, and not a timeline line that changes no row", async () => {
    dir = mkdtempSync(join(tmpdir(), "aegis-feed-"));
    db = openDatabase(join(dir, "aegis.db"));
    const repo = new SqliteIncidentRepository(db);
    const errors: unknown[] = [];
    feed = createIncidentFeed({
      incidents: summariesOnly(repo),
      intervalMs: 20,
      onError: (e) => errors.push(e),
    });
    const seen: IncidentSummary[] = [];
    feed.subscribe((changed) => seen.push(...changed));
    await feed.ready();

    const alert = retarget(fixture("am-webhook-firing"), "web-1").alerts[0]!;
    const [created] = await repo.ingest(
      [{ alert, target: { kind: "docker_container", key: "docker:web-1", name: "web-1" } }],
      new Date().toISOString(),
    );
    const id = created!.incidentId;
    await waitFor(() => seen.some((s) => s.id === id && s.status === "open"), { what: "the new incident" });

    // A timeline line alone, then a second incident: once that one is reported, a poll has seen the line.
    await repo.appendTimeline(id, { step: "investigate", message: "reading logs" });
    const other = retarget(fixture("am-webhook-firing"), "web-2").alerts[0]!;
    const [second] = await repo.ingest(
      [{ alert: other, target: { kind: "docker_container", key: "docker:web-2", name: "web-2" } }],
      new Date().toISOString(),
    );
    await waitFor(() => seen.some((s) => s.id === second!.incidentId), { what: "the second incident" });
    await repo.setStatus(id, "investigating", null);
    await waitFor(() => seen.some((s) => s.id === id && s.status === "investigating"), { what: "the move" });
    // The timeline line alone moved nothing a row shows: one report for open, one for investigating.
    expect(seen.filter((s) => s.id === id).map((s) => s.status)).toEqual(["open", "investigating"]);
    expect(errors).toEqual([]);
  });
});

import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import { clientAddress } from "../../server/clientAddress.ts";
import { createFront, type AgentBackend } from "../../server/front.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import {
  createFrontMetricsRegistry,
  createMetricsRegistry,
  registerServerMetrics,
} from "../../server/metrics.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";
import { fixture, retarget } from "./helpers.ts";

/**
 * The front of `aegis serve` (AEGIS_AGENT_PROCESS=separate) against a stand-in agent process: a real HTTP
 * server on a Unix socket, as the agent process listens. The webhook is stored by the front itself.
 */
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Setup {
  front: RunningServer;
  db: Db;
  handed: string[][];
  seen: IncomingMessage[];
  agent: { ready: boolean };
}

async function setup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-front-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, "aegis.db"));
  cleanup.push(() => void db.close());
  const socketPath = join(dir, "agent.sock");
  const seen: IncomingMessage[] = [];
  // The agent's own registry, as createApp leaves it: the webhook's families registered, never counted there.
  const agentMetrics = createMetricsRegistry();
  registerServerMetrics(agentMetrics);
  const upstream: Server = createServer((req, res) => {
    seen.push(req);
    if (req.url === "/ui/feed") {
      // A live feed: the head goes out, the body never ends.
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write(": open\n\n");
      return;
    }
    if (req.url === "/metrics") {
      void agentMetrics.metrics().then((text) => res.end(text));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ path: req.url, client: clientAddress(req) }));
  });
  await new Promise<void>((resolve) => upstream.listen(socketPath, resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        upstream.close(() => resolve());
        upstream.closeAllConnections();
      }),
  );
  const handed: string[][] = [];
  const agent = { ready: true };
  const backend: AgentBackend = {
    socketPath,
    isReady: () => agent.ready,
    enqueue: (ids) => handed.push(ids),
  };
  const app = createFront({
    config: loadConfig({ AEGIS_DB: join(dir, "aegis.db") }),
    policy: defaultPolicy(),
    incidents: new SqliteIncidentRepository(db),
    agent: backend,
    metrics: createFrontMetricsRegistry(),
    logger: silentLogger(),
  });
  const front = await startServer(app, "127.0.0.1", 0);
  cleanup.push(() => front.close(100));
  return { front, db, handed, seen, agent };
}

const postAlert = (url: string, container: string) =>
  fetch(`${url}/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(retarget(fixture("am-webhook-firing"), container)),
  });

describe("the webhook front", () => {
  it("closes a proxied live feed upstream when its client goes away", async () => {
    const s = await setup();
    const abort = new AbortController();
    const res = await fetch(`${s.front.url}/ui/feed`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const upstream = s.seen.find((r) => r.url === "/ui/feed")!;
    const closed = new Promise<void>((resolve) => upstream.socket.once("close", () => resolve()));
    abort.abort();
    await closed;
    expect(upstream.socket.destroyed).toBe(true);
  });

  it("stores alerts itself and hands the new incidents to the agent process", async () => {
    const s = await setup();
    const res = await postAlert(s.front.url, "web-1");
    expect(res.status).toBe(202);
    const body = (await res.json()) as { incidents: Array<{ id: string; outcome: string }> };
    expect(body.incidents[0]!.outcome).toBe("created");
    expect(s.handed).toEqual([[body.incidents[0]!.id]]);
    expect(s.db.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: 1 });
    // The webhook never reached the agent process.
    expect(s.seen).toHaveLength(0);
  });

  it("accepts alerts while the agent process is down, and answers other requests 503 meanwhile", async () => {
    const s = await setup();
    s.agent.ready = false;
    expect((await postAlert(s.front.url, "web-2")).status).toBe(202);
    expect(s.db.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: 1 });
    const api = await fetch(`${s.front.url}/api/incidents`);
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toBe("1");
    expect(((await api.json()) as { error: string }).error).toBe("unavailable");
  });

  it("proxies everything else to the agent process, naming the client, whose own header is not trusted", async () => {
    const s = await setup();
    const res = await fetch(`${s.front.url}/api/incidents?limit=5`, {
      headers: { "x-aegis-peer-address": "203.0.113.9" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: "/api/incidents?limit=5", client: "127.0.0.1" });
  });

  it("serves one /metrics: the agent's, with the webhook's counts from the front and no family twice", async () => {
    const s = await setup();
    await postAlert(s.front.url, "web-3");
    const text = await (await fetch(`${s.front.url}/metrics`)).text();
    expect(text).toContain('aegis_webhook_requests_total{code="202"} 1');
    expect(text).toContain('aegis_alerts_received_total{outcome="created"} 1');
    expect(text).toMatch(/^aegis_front_nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    const families = text
      .split("\n")
      .filter((l) => l.startsWith("# TYPE "))
      .map((l) => l.split(" ")[2]);
    expect(new Set(families).size).toBe(families.length);
  });
});

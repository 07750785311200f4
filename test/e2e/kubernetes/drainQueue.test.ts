import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../../../agent/policy/schema.ts";
import { autoHighPolicy, look, startKubeHarness, type KubeHarness, signalsOf } from "./harness.ts";
import { deployment, manifests } from "../../helpers/kubeManifests.ts";

/** A second worker pool whose queue has no drain hook. */
const REPORT_WORKER = manifests(
  deployment("report-worker", "shop", "ghcr.io/acme/report-worker:1.2.0", {
    annotations: { "kube-sim.aegisops.io/rps": "0", "kube-sim.aegisops.io/queue": "reports/20/10" },
  }),
);
const HOOK_TOKEN = "drain-hook-token";

interface HookCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}
let h: KubeHarness;
let hook: Server;
const calls: HookCall[] = [];
/** Whether the hook really drains (moves the backlog off and pauses the producers) when called. */
let drains = true;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      calls.push({
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        body: JSON.parse(text),
      });
      const q = h.sim().ctx.world.queues.get("shop/emails");
      if (drains && q) {
        q.depth = 0;
        q.arrivalRate = q.perWorkerRate / 2;
      }
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ moved: 1234, to: "emails-spill" }));
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/drain`;
  const base = autoHighPolicy();
  const policy = policySchema.parse({
    ...base,
    verification: { retries: 1, backoffSeconds: 0 },
    services: {
      ...base.services,
      emails: {
        target: { namespace: "shop", deployment: "email-worker" },
        queue: { maxWorkers: 1, drainHook: { url, tokenEnv: "EMAILS_DRAIN_TOKEN" } },
      },
      reports: { target: { namespace: "shop", deployment: "report-worker" }, queue: { maxWorkers: 1 } },
    },
  });
  h = await startKubeHarness(policy, {
    env: { EMAILS_DRAIN_TOKEN: HOOK_TOKEN },
    extraManifests: REPORT_WORKER,
  });
});
afterAll(async () => {
  await h?.stop();
  await new Promise<void>((r) => hook?.close(() => r()));
});
beforeEach(async () => {
  await h.freshCluster();
  calls.length = 0;
  drains = true;
});

describe("drain_queue", () => {
  it("a queue growing behind workers at their cap → drain_queue through the hook, once, with its token; verified", async () => {
    const sim = h.sim();
    sim.inject({ family: "queue_depth", target: "shop/email-worker" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "email-worker" });

    expect(signalsOf(incident)).toEqual(
      expect.arrayContaining(["queue_backlog", "workers_at_cap", "queue_drain_available"]),
    );
    expect(incident.decision?.action).toBe("drain_queue");
    expect(incident.status).toBe("resolved");
    expect(calls).toEqual([
      {
        method: "POST",
        path: "/drain",
        authorization: `Bearer ${HOOK_TOKEN}`,
        body: { queue: "emails", service: "emails", requestedBy: "aegisops" },
      },
    ]);
    expect(incident.actions[0]?.result).toMatchObject({ queue: "emails", status: 202 });
    expect(look(sim).deployment("email-worker").spec.replicas).toBe(1);
  });

  it("a drain that did not help is not sent again on the retry: one call, the incident fails", async () => {
    drains = false;
    const sim = h.sim();
    sim.inject({ family: "queue_depth", target: "shop/email-worker" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "email-worker" });

    expect(incident.decision?.action).toBe("drain_queue");
    expect(incident.status).toBe("failed");
    expect(calls).toHaveLength(1);
    expect(incident.timeline.map((e) => e.message).join("\n")).toMatch(/drain_queue is sent once: no retry/);
  });

  it("look-alike: workers at their cap but no drain hook configured → escalated, nothing sent or scaled", async () => {
    const sim = h.sim();
    sim.inject({ family: "queue_depth", target: "shop/report-worker" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "report-worker" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["queue_backlog", "workers_at_cap"]));
    expect(signalsOf(incident)).not.toContain("queue_drain_available");
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(calls).toHaveLength(0);
    expect(look(sim).deployment("report-worker").spec.replicas).toBe(1);
  });
});

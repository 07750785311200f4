import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PagerNotifier } from "../../agent/paging/pagerNotifier.ts";
import type { Incident, IncidentStatus, TimelineEntry } from "../../core/types.ts";
import { openDatabase } from "../../store/db.ts";
import { SqliteRuntimeSettings } from "../../store/runtimeSettings.ts";
import { sendPagerEvent } from "../../tools/pagerduty/eventsApi.ts";
import { incidentAlert } from "../helpers/alerts.ts";
import { startFakePagerDuty, type FakePagerDuty } from "../helpers/fakePagerDuty.ts";
import { incidentFor } from "../helpers/incidents.ts";

const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"; // 32 characters, as PagerDuty issues them

let seq = 0;
function incident(status: IncidentStatus, target: string, timeline: TimelineEntry[] = []): Incident {
  seq++;
  return incidentFor({
    id: `inc_test_${seq}`,
    status,
    statusReason: status === "resolved" ? "healthy after rollout_restart" : "no action fits the evidence",
    alerts: [incidentAlert({ alertname: "KubePodCrashLooping", severity: "critical", service: "checkout" })],
    target: {
      kind: "k8s_workload",
      key: target,
      namespace: "shop",
      workload: "deployment",
      name: "checkout",
    },
    timeline,
    receivedAt: "2026-12-01T10:00:01Z",
  });
}

describe("paging through PagerDuty Events API v2", () => {
  let pd: FakePagerDuty;
  let pager: PagerNotifier;
  beforeAll(async () => {
    pd = await startFakePagerDuty(ROUTING_KEY);
    const settings = new SqliteRuntimeSettings(openDatabase(":memory:"));
    pager = new PagerNotifier({
      send: (e) =>
        sendPagerEvent({ eventsUrl: pd.eventsUrl, routingKey: ROUTING_KEY, sleep: async () => {} }, e),
      settings,
    });
  });
  afterAll(async () => {
    await pd.close();
  });

  it("an escalated incident triggers a page; a repeat for the same target does not page twice; a later resolved incident resolves it", async () => {
    await pager.notify(incident("escalated", "k8s/shop/deployment/checkout"));
    expect(pd.pagedCount()).toBe(1);
    const page = pd.pages.get("aegisops/k8s/shop/deployment/checkout")!;
    expect(page).toMatchObject({ status: "triggered", severity: "critical" });
    expect(page.summary).toMatch(/^\[AegisOps\] escalated: k8s\/shop\/deployment\/checkout — no action fits/);

    await pager.notify(incident("failed", "k8s/shop/deployment/checkout"));
    expect(pd.pagedCount()).toBe(1);
    expect(page.triggers).toBe(2);

    await pager.notify(incident("resolved", "k8s/shop/deployment/checkout"));
    expect(page.status).toBe("resolved");
    // Nothing open any more: another resolved incident sends nothing.
    const before = pd.events.length;
    await pager.notify(incident("resolved", "k8s/shop/deployment/checkout"));
    expect(pd.events).toHaveLength(before);
  });

  it("resolved, advised and dismissed incidents with no open page send nothing", async () => {
    const before = pd.events.length;
    for (const s of ["resolved", "advised", "dismissed"] as const)
      await pager.notify(incident(s, "k8s/shop/deployment/web"));
    expect(pd.events).toHaveLength(before);
  });

  it("a request a person rejected does not page; one nobody answered (expired) does", async () => {
    const vote = (via: string): TimelineEntry => ({
      at: "2026-12-01T10:01:00Z",
      step: "approval",
      message: "",
      data: { approved: false, by: "bob", via, counted: true, decided: true },
    });
    const paged = pd.pagedCount();
    await pager.notify(incident("escalated", "k8s/shop/deployment/rejected", [vote("slack")]));
    expect(pd.pagedCount()).toBe(paged);
    await pager.notify(incident("escalated", "k8s/shop/deployment/expired", [vote("expiry")]));
    expect(pd.pagedCount()).toBe(paged + 1);
  });

  it("a rate-limited enqueue (429) is retried; a bad routing key is a clear error", async () => {
    pd.failNext(2);
    await pager.notify(incident("failed", "k8s/shop/deployment/throttled"));
    expect(pd.pages.get("aegisops/k8s/shop/deployment/throttled")?.status).toBe("triggered");

    const wrong = sendPagerEvent(
      { eventsUrl: pd.eventsUrl, routingKey: "short", sleep: async () => {} },
      { event_action: "resolve", dedup_key: "x" },
    );
    await expect(wrong).rejects.toThrow(/PagerDuty resolve x: HTTP 400 .*routing_key/);
  });
});

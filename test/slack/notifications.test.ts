import { describe, expect, it } from "vitest";
import { policySchema } from "../../agent/policy/schema.ts";
import { waitFor } from "../helpers/docker.ts";
import { postToSlackEndpoint, slashCommandBody } from "../helpers/fakeSlack.ts";
import { ALICE, MALLORY, SIGNING_SECRET, useSlackHarness, type SlackHarness } from "./harness.ts";

const startSlackHarness = useSlackHarness();

/** Acts on its own (auto), checkout's messages to its own channel, critical alerts to the paging channel. */
const policy = (extra: Record<string, unknown> = {}) =>
  policySchema.parse({
    mode: "auto",
    verification: { retries: 0 },
    caps: { actionsPerTargetPerHour: 50 },
    approvals: { byTier: { medium: { users: [ALICE] } } },
    notifications: { channel: "C0GENERAL", bySeverity: { critical: "C0PAGE" }, digestMinutes: 0.02 },
    services: { checkout: { channel: "C0CHECKOUT" } },
    ...extra,
  });

const posted = (harness: SlackHarness, channel: string) =>
  harness.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === channel && !c.args.thread_ts);

async function command(harness: SlackHarness, userId: string, text: string): Promise<string> {
  const res = await postToSlackEndpoint(
    harness.baseUrl,
    SIGNING_SECRET,
    slashCommandBody({ userId, text, responseUrl: harness.slack.responseUrl }),
  );
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { text: string }).text;
}

describe("notifications", () => {
  it("a resolved incident is told to its service's channel with root cause, action and time to recovery", async () => {
    const h = await startSlackHarness(policy());
    h.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.sim.advance(30_000);
    const id = await h.alert({ namespace: "shop", deployment: "checkout", service: "checkout" });
    const done = await h.waitFinished(id);
    expect(done.status).toBe("resolved");
    await waitFor(async () => posted(h, "C0CHECKOUT").length > 0, { what: "the resolved message" });
    const msg = JSON.stringify(posted(h, "C0CHECKOUT")[0]!.args);
    for (const part of ["resolved", "Root cause", "rollback_deployment", "Time to recovery"])
      expect(msg).toContain(part);
    expect(posted(h, "C0GENERAL")).toHaveLength(0);
  });

  it("an escalated incident goes to its severity's channel with the evidence and what was tried", async () => {
    const h = await startSlackHarness(policy());
    h.sim.inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    h.sim.advance(30_000);
    const id = await h.alert({ namespace: "shop", deployment: "web", severity: "critical" });
    expect((await h.waitFinished(id)).status).toBe("escalated");
    await waitFor(async () => posted(h, "C0PAGE").length > 0, { what: "the escalated message" });
    const msg = JSON.stringify(posted(h, "C0PAGE")[0]!.args);
    for (const part of ["escalated", "Evidence", "missing_secret", "What was tried", "nothing was changed"]) {
      expect(msg).toContain(part);
    }
  });

  it("advise-mode recommendations are quiet: one digest, not a message per alert", async () => {
    const h = await startSlackHarness(policy({ mode: "advise" }));
    h.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.sim.advance(30_000);
    const first = await h.alert({ namespace: "shop", deployment: "checkout" });
    const second = await h.alert({ node: "sim-node-2" });
    for (const id of [first, second])
      expect(["advised", "dismissed", "escalated"]).toContain((await h.waitFinished(id)).status);
    // The captured alert is `severity: critical`: the digest goes to that severity's channel.
    await waitFor(
      async () => posted(h, "C0PAGE").some((c) => String(c.args.text).includes("AegisOps digest")),
      {
        what: "the digest",
      },
    );
    const digest = posted(h, "C0PAGE").find((c) => String(c.args.text).includes("AegisOps digest"))!;
    expect(String(digest.args.text)).toContain(first);
    // Nothing else was posted for the advised incident, anywhere.
    const all = h.slack.callsTo("chat.postMessage").filter((c) => JSON.stringify(c.args).includes(first));
    expect(all).toHaveLength(1);
  });
});

describe("/aegis", () => {
  it("status, incident <id>, and help for anything else", async () => {
    const h = await startSlackHarness(policy({ mode: "advise" }));
    const id = await h.alert({ node: "sim-node-2" });
    await h.waitFinished(id);
    expect(await command(h, MALLORY, "status")).toMatch(/\*Open incidents\*: 0[\s\S]*\*Mode\*: advise/);
    const detail = await command(h, MALLORY, `incident ${id}`);
    expect(detail).toContain("sim-node-2");
    expect(detail).toContain("*Timeline*");
    expect(await command(h, MALLORY, "incident inc_nope")).toMatch(/No incident with id/);
    expect(await command(h, MALLORY, "frobnicate")).toMatch(/Unknown subcommand[\s\S]*\/aegis status/);
  });

  it("mode <service> is for approvers only, changes what happens next and survives a restart", async () => {
    const h = await startSlackHarness(policy());
    expect(await command(h, MALLORY, "mode checkout advise")).toMatch(/Only approvers/);
    expect(await command(h, ALICE, "mode checkout advise")).toMatch(/auto → \*advise\*/);
    await h.restart();
    h.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.sim.advance(30_000);
    const id = await h.alert({ namespace: "shop", deployment: "checkout", service: "checkout" });
    const done = await h.waitFinished(id);
    expect(done.status).toBe("advised");
    expect(done.actions).toHaveLength(0);
    expect(await command(h, MALLORY, "status")).toContain("checkout: advise");
  });

  it("autonomy revoke and the resets are for approvers only, and say what they did", async () => {
    const h = await startSlackHarness(policy());
    expect(await command(h, MALLORY, "autonomy revoke checkout rollback_deployment")).toMatch(
      /Only approvers/,
    );
    expect(await command(h, ALICE, "autonomy revoke checkout rollback_deployment")).toMatch(
      /`rollback_deployment` on \*checkout\* waits for approval again/,
    );
    expect(await command(h, ALICE, "autonomy revoke checkout reboot_everything")).toMatch(/Usage/);
    expect(await command(h, MALLORY, "reset breaker k8s::shop/deployment/checkout")).toMatch(
      /Only approvers/,
    );
    expect(await command(h, ALICE, "reset breaker k8s::shop/deployment/checkout")).toMatch(/closed by/);
    expect(await command(h, ALICE, "reset budget checkout")).toMatch(/failures before now no longer count/);
    expect(await command(h, MALLORY, "status")).toMatch(/\*Error budgets\*/);
  });

  it("silence says what it needs when Alertmanager is not configured, and checks its arguments", async () => {
    const h = await startSlackHarness(policy());
    expect(await command(h, ALICE, "silence shop/checkout 2h")).toMatch(/set ALERTMANAGER_URL/);
    expect(await command(h, ALICE, "silence shop/checkout forever")).toMatch(/Usage/);
    expect(await command(h, ALICE, "silence shop/checkout 30d")).toMatch(/1 minute to 7 days/);
  });
});

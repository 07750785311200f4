import { afterEach } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis, type Aegis } from "../../app/compose.ts";
import { policySchema, type Policy } from "../../agent/policy/schema.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Incident } from "../../core/types.ts";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { getIncident, TEST_API_TOKEN, useApiToken } from "../helpers/aegis.ts";
import { waitFor } from "../helpers/docker.ts";
import { storeEnv } from "../helpers/postgresLeg.ts";
import {
  blockActionPayload,
  postToSlackEndpoint,
  startFakeSlack,
  viewSubmissionPayload,
  type FakeMessage,
  type FakeSlack,
} from "../helpers/fakeSlack.ts";

export const BOT_TOKEN = "xoxb-1111-2222-testtoken";
export const APP_TOKEN = "xapp-1-A0001-1111-apptokentest";
export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const CHANNEL = "C0INCIDENT";
/** Approvers the policy names; MALLORY is nobody's. */
export const ALICE = "U0ALICE";
export const BOB = "U0BOB";
export const CAROL = "U0CAROL";
export const MALLORY = "U0MALLORY";
export const ONCALL_GROUP = "S0ONCALL";

/** Every tier asks for approval; medium by Alice or Bob, high by Alice or the on-call group (two of them). */
export function approvalPolicy(extra: Record<string, unknown> = {}): Policy {
  return policySchema.parse({
    modes: { byTier: { low: "approve", medium: "approve", high: "approve" } },
    verification: { retries: 0 },
    caps: { actionsPerTargetPerHour: 50 },
    approvals: {
      byTier: { medium: { users: [ALICE, BOB] }, high: { users: [ALICE], groups: [ONCALL_GROUP] } },
    },
    ...extra,
  });
}

/**
 * AegisOps with Slack configured against a local Slack Web API, acting on the Kubernetes simulator. The
 * database lives in `dir`, so `restart()` brings up a new process-equivalent on the same state.
 */
export interface SlackHarness {
  slack: FakeSlack;
  sim: KubeSim;
  aegis: Aegis;
  baseUrl: string;
  /** Close this AegisOps and start a new one on the same database and Slack. */
  restart(): Promise<void>;
  /** Post a firing alert for the labels; returns its incident id. */
  alert(labels: Record<string, string>): Promise<string>;
  /** Post a firing alert for the labels and wait (the cluster's time flowing) until it awaits approval. */
  alertUntilAwaiting(labels: Record<string, string>): Promise<Incident>;
  /** Wait (the cluster's time flowing) until the incident is terminal. */
  waitFinished(id: string): Promise<Incident>;
  /** The approval request posted for an incident. */
  approvalMessage(id: string): FakeMessage;
  /** Click a button of the approval request as a Slack user, signed like Slack signs it. */
  click(id: string, userId: string, button: "approve" | "reject"): Promise<{ status: number }>;
  /** Click Reject, then submit the modal that asks why, as Slack does. */
  reject(id: string, userId: string, reason: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Per test: the returned function starts a harness (as startSlackHarness does), which is stopped after the test
 * whatever its outcome.
 */
export function useSlackHarness(): typeof startSlackHarness {
  let live: SlackHarness | undefined;
  afterEach(async () => {
    const was = live;
    live = undefined;
    await was?.stop();
  });
  return async (policy, opts) => (live = await startSlackHarness(policy, opts));
}

export async function startSlackHarness(
  policy: Policy,
  opts: { env?: Record<string, string>; approvalSweepMs?: number; socketMode?: boolean } = {},
): Promise<SlackHarness> {
  const slack = await startFakeSlack({ token: BOT_TOKEN, appToken: APP_TOKEN });
  slack.userGroups[ONCALL_GROUP] = [CAROL];
  const sim = await startKubeSim({ clock: "virtual", tls: false, adminToken: "slack-test-admin" });
  sim.advance(5000);
  const dir = mkdtempSync(join(tmpdir(), "aegis-slack-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig({ token: "slack-test-admin" }));
  const config = loadConfig({
    AEGIS_DB: join(dir, "aegis.db"),
    AEGIS_MODE: "auto",
    KUBECONFIG: kubeconfig,
    AEGIS_VERIFY_TIMEOUT_MS: "15000",
    AEGIS_API_TOKEN: TEST_API_TOKEN,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: slack.apiUrl,
    ...(opts.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    // The store matrix: PostgreSQL on that leg of `npm test` (vitest.config.ts).
    ...(await storeEnv()),
    ...opts.env,
  });
  let aegis!: Aegis;
  let server!: RunningServer;
  const up = async () => {
    aegis = await createAegis(config, {
      logger: silentLogger(),
      policy,
      verifyIntervalMs: 100,
      approvalSweepMs: opts.approvalSweepMs ?? 200,
    });
    server = await startServer(aegis.app, "127.0.0.1", 0);
    // Reading incidents through the API needs the token, as it does for a user.
    useApiToken(`http://127.0.0.1:${server.port}`, TEST_API_TOKEN);
    await aegis.start();
  };
  const down = async () => {
    await server.close();
    await aegis.close();
  };
  await up();
  const url = () => `http://127.0.0.1:${server.port}`;
  const flowing = async <T>(fn: () => Promise<T>): Promise<T> => {
    const ticker = setInterval(() => sim.advance(500), 25);
    try {
      return await fn();
    } finally {
      clearInterval(ticker);
    }
  };
  const alert = async (labels: Record<string, string>) => {
    const res = await postAlerts(url(), retargeted({ alertname: "KubeWorkloadUnhealthy", ...labels }));
    if (res.status !== 202) throw new Error(`POST /alerts: HTTP ${res.status}`);
    return (res.body.incidents as Array<{ id: string }>)[0]!.id;
  };
  const approvalMessage = (id: string) => {
    const m = [...slack.messages.values()].find(
      (m) => !m.threadTs && m.text.startsWith("Approval needed") && m.text.includes(id),
    );
    if (!m) throw new Error(`no approval request posted for ${id}`);
    return m;
  };
  const click = async (id: string, userId: string, button: "approve" | "reject") => {
    const m = approvalMessage(id);
    const body = blockActionPayload({
      userId,
      actionId: button === "approve" ? "aegis_approve" : "aegis_reject",
      value: id,
      channel: m.channel,
      messageTs: m.ts,
      responseUrl: slack.responseUrl,
    });
    return postToSlackEndpoint(url(), SIGNING_SECRET, body);
  };
  return {
    slack,
    sim,
    get aegis() {
      return aegis;
    },
    get baseUrl() {
      return url();
    },
    async restart() {
      await down();
      await up();
    },
    alert,
    async alertUntilAwaiting(labels) {
      const id = await alert(labels);
      return flowing(() =>
        waitFor(
          async () => {
            const i = await getIncident(url(), id);
            if (i.status !== "awaiting_approval") return undefined;
            // The request is posted right after the status changes.
            return i.timeline.some((e) => e.step === "slack") ? i : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: `incident ${id} to await approval` },
        ),
      );
    },
    waitFinished: (id) =>
      flowing(() =>
        waitFor(
          async () => {
            const i = await getIncident(url(), id);
            return ["resolved", "failed", "escalated", "advised", "dismissed"].includes(i.status)
              ? i
              : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: `incident ${id} to finish` },
        ),
      ),
    approvalMessage,
    click,
    async reject(id, userId, reason) {
      const before = slack.callsTo("views.open").length;
      await click(id, userId, "reject");
      const opened = await waitFor(async () => slack.callsTo("views.open")[before], {
        what: "the reason modal",
      });
      const view = JSON.parse(String(opened.args.view)) as { callback_id: string; private_metadata: string };
      const body = viewSubmissionPayload({
        userId,
        callbackId: view.callback_id,
        privateMetadata: view.private_metadata,
        values: { reason: { reason } },
      });
      const res = await postToSlackEndpoint(url(), SIGNING_SECRET, body);
      if (res.status !== 200) throw new Error(`view_submission: HTTP ${res.status}`);
    },
    async stop() {
      await down();
      await sim.stop();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAegis, type Aegis } from "../../app/compose.ts";
import { LogNotifier, type Notifier } from "../../agent/notifier.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import type { Incident } from "../../core/types.ts";
import { isTerminal } from "../../core/types.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import {
  ensureTargetImage,
  fault,
  freePort,
  removeContainer,
  TARGET_IMAGE,
  testDocker,
  uniqueName,
  waitFor,
} from "../helpers/docker.ts";
import { startFakeSlack, type FakeSlack } from "../helpers/fakeSlack.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../helpers/scriptedOpenAI.ts";
import { answer } from "../agent/planners/llm/helpers.ts";
import { leaksIn, plantedAlertText, plantedEnv, plantedSecrets } from "./plantedSecrets.ts";

/*
 * A real run with secrets planted everywhere evidence comes from: the container's log (30 kinds, a private key
 * one line per key line), its environment, the alert's annotations and labels, and so the results of the tools
 * the model calls. Then every way data leaves AegisOps is searched for them: the API, the SQLite files'
 * raw bytes, `aegis runbook export`, the embeddings and chat requests the OpenAI-compatible server received,
 * the dashboard's JSON, the notifier, the Slack Web API calls and the process log.
 */

const API_TOKEN = "api-token-for-the-secret-leak-test";
const name = uniqueName("secrets");
const secrets = plantedSecrets();
const env = plantedEnv();
const alertText = plantedAlertText();
const everything = [
  ...secrets,
  { kind: "env", needles: env.needles },
  { kind: "alert", needles: alertText.needles },
];

let dir: string;
let model: ScriptedOpenAI;
let slack: FakeSlack;
const SLACK_TOKEN = "xoxb-0000000000-0000000000000-secretleaktestbotoken0";
let aegis: Aegis;
let server: RunningServer;
let baseUrl: string;
let stopped = false;
const logChunks: string[] = [];
const notified: string[] = [];

async function stopAegis() {
  if (stopped) return;
  stopped = true;
  await server?.close();
  await aegis?.close();
}

beforeAll(async () => {
  await ensureTargetImage();
  dir = mkdtempSync(join(tmpdir(), "aegis-secrets-"));
  model = await startScriptedOpenAI();
  slack = await startFakeSlack({ token: SLACK_TOKEN });
  const policyPath = join(dir, "policy.yaml");
  writeFileSync(policyPath, `evidence:\n  envAllowlist: [${env.allowlist.join(", ")}]\n`);
  const config = loadConfig({
    AEGIS_DB: join(dir, "aegis.db"),
    AEGIS_MODE: "auto",
    AEGIS_POLICY: policyPath,
    AEGIS_API_TOKEN: API_TOKEN,
    AEGIS_VERIFY_TIMEOUT_MS: "20000",
    OPENAI_API_KEY: "sk-test-not-a-real-key-for-the-scripted-server",
    OPENAI_BASE_URL: model.baseUrl,
    AEGIS_EMBEDDING_DIMENSIONS: "16",
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_SIGNING_SECRET: "signing-secret-for-the-secret-leak-test",
    SLACK_CHANNEL: "C0INCIDENTS",
    SLACK_API_URL: slack.apiUrl,
  });
  const log = new PassThrough();
  log.on("data", (c: Buffer) => logChunks.push(c.toString("utf8")));
  const logger = createLogger({ level: "debug", destination: log });
  const logNotifier = new LogNotifier(logger);
  const notifier: Notifier = {
    async notify(incident) {
      notified.push(JSON.stringify(incident));
      await logNotifier.notify(incident);
    },
  };
  aegis = await createAegis(config, { logger, notifier, verifyIntervalMs: 100 });
  server = await startServer(aegis.app, "127.0.0.1", 0);
  baseUrl = `http://127.0.0.1:${server.port}`;
  await aegis.start();
}, 120_000);

afterAll(async () => {
  await stopAegis();
  await model?.close();
  await slack?.close();
  await removeContainer(name);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A lab target that prints the planted log lines at every start, with the planted env. */
async function startLeakyTarget(port: number) {
  await removeContainer(name);
  const log = `${secrets.flatMap((s) => s.lines).join("\n")}\n`;
  const container = await testDocker().createContainer({
    name,
    Image: TARGET_IMAGE,
    Entrypoint: [
      "/usr/bin/node",
      "--input-type=module",
      "-e",
      "process.stdout.write(Buffer.from(process.env.PLANTED_LOG_B64, 'base64')); await import('/app/app.mjs');",
    ],
    Env: Object.entries({
      ...env.env,
      PLANTED_LOG_B64: Buffer.from(log).toString("base64"),
      PORT: String(port),
    }).map(([k, v]) => `${k}=${v}`),
    Labels: { "aegis.test": "1", "aegis.health-url": `http://127.0.0.1:${port}/health` },
    HostConfig: {
      NetworkMode: "host",
      Memory: 1024 * 1024 * 1024,
      MemorySwap: 1024 * 1024 * 1024,
    },
  });
  await container.start();
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
}

const auth = { authorization: `Bearer ${API_TOKEN}` };

async function api(path: string): Promise<string> {
  const res = await fetch(`${baseUrl}${path}`, { headers: auth });
  expect(res.status).toBe(200);
  return res.text();
}

describe("no planted secret leaves AegisOps", () => {
  it("redacts logs, env, annotations and tool results before storage, API, export, embeddings, model, notifier and logs", async () => {
    const port = await freePort();
    await startLeakyTarget(port);
    // A real fault, so acting is what the evidence supports and the run reaches verify and learn.
    await fault(port, "leak");

    model.push(
      {
        toolCalls: [
          { name: "docker_container_logs", arguments: { tail: 300 } },
          { name: "docker_inspect_container", arguments: {} },
        ],
      },
      { content: "Memory grows steadily since the leak fault was enabled." },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const payload = retargeted({ alertname: "ContainerUnhealthy", container: name, ...alertText.labels });
    payload.alerts[0]!.annotations = alertText.annotations;
    const posted = await postAlerts(baseUrl, payload);
    expect(posted.status).toBe(202);
    const id = (posted.body.incidents as Array<{ id: string }>)[0]!.id;

    const incident = await waitFor(
      async () => {
        const i = JSON.parse(await api(`/api/incidents/${id}`)) as Incident;
        return isTerminal(i.status) ? i : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "the incident to finish" },
    );
    // The run went the whole way: acted, verified, learned (so embeddings and export carry its text).
    expect(
      incident.status,
      `${incident.statusReason}\n${incident.timeline.map((e) => `${e.step}: ${e.message}`).join("\n")}`,
    ).toBe("resolved");
    expect(incident.actions.length).toBeGreaterThanOrEqual(1);
    await waitFor(() => notified.length > 0, { what: "the notifier" });
    await waitFor(() => slack.callsTo("chat.postMessage").length > 0, { what: "the Slack notification" });

    const outputs: Record<string, string> = {
      "webhook reply": JSON.stringify(posted.body),
      "GET /api/incidents": await api("/api/incidents?limit=50"),
      "GET /api/incidents/:id": await api(`/api/incidents/${id}`),
      "chat requests to the model": JSON.stringify(model.requests),
      "embeddings requests": JSON.stringify(model.embeddings),
      notifier: notified.join("\n"),
      "Slack Web API calls": JSON.stringify(slack.calls),
    };
    // The dashboard's own JSON, read as a logged-in browser reads it.
    const login = await fetch(`${baseUrl}/ui/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: API_TOKEN }),
    });
    expect(login.status).toBe(204);
    const cookie = { cookie: (login.headers.get("set-cookie") ?? "").split(";")[0]! };
    for (const path of [`/ui/api/incidents/${id}`, "/ui/api/incidents", "/ui/api/runbooks"]) {
      const res = await fetch(`${baseUrl}${path}`, { headers: cookie });
      expect(res.status).toBe(200);
      outputs[`dashboard ${path}`] = await res.text();
    }
    expect(outputs[`dashboard /ui/api/incidents/${id}`]).toContain(name);
    // Evidence still says what a diagnosis needs: the log's ordinary lines, allowlisted env, withheld names.
    const detail = outputs["GET /api/incidents/:id"]!;
    expect(detail).toContain("listening on");
    for (const [k, v] of Object.entries(env.visible))
      expect(detail).toContain(JSON.stringify({ [k]: v }).slice(1, -1));
    expect(detail).toContain("LEGACY_SETTING");
    // The model read the container through its tools, and the incident's text reached the embeddings endpoint.
    expect(outputs["chat requests to the model"]).toContain('"role":"tool"');
    expect(outputs["embeddings requests"]).toContain("ContainerUnhealthy");
    expect(outputs["Slack Web API calls"]).toContain(name);

    await stopAegis();
    outputs["process log (incl. LogNotifier)"] = logChunks.join("");
    for (const file of ["aegis.db", "aegis.db-wal", "aegis.db-shm"]) {
      const path = join(dir, file);
      if (existsSync(path)) outputs[`SQLite ${file} raw bytes`] = readFileSync(path).toString("latin1");
    }
    const bin = fileURLToPath(new URL("../../bin/aegis.js", import.meta.url));
    const exported = await promisify(execFile)(process.execPath, [bin, "runbook", "export"], {
      env: {
        ...process.env,
        AEGIS_DB: join(dir, "aegis.db"),
        OPENAI_API_KEY: "sk-test-not-a-real-key-for-the-scripted-server",
        OPENAI_BASE_URL: model.baseUrl,
        AEGIS_EMBEDDING_DIMENSIONS: "16",
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(exported.stdout).toContain(id);
    outputs["aegis runbook export"] = exported.stdout + exported.stderr;

    const leaks = Object.fromEntries(
      Object.entries(outputs)
        .map(([where, text]) => [where, leaksIn(text, everything)] as const)
        .filter(([, found]) => found.length > 0),
    );
    expect(leaks).toEqual({});
  }, 150_000);
});

import { PassThrough } from "node:stream";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { Platform } from "../../agent/platforms/platform.ts";
import { platformFor } from "../../agent/platforms/platform.ts";
import { AegisError, describeError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import type { Target } from "../../core/types.ts";
import { tool } from "../../tools/tool.ts";
import { fixture, retarget, startTestServer } from "../server/helpers.ts";
import { leaksIn, plantedAlertText, plantedSecrets } from "./plantedSecrets.ts";

const secrets = plantedSecrets();
const lines = secrets.flatMap((s) => s.lines);
const dsn = secrets.find((s) => s.kind === "PostgreSQL DSN password")!;
const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };

/** A platform that reads secrets from everywhere it can: evidence, verification, tools, errors. */
const leaky: Platform = {
  kinds: ["docker_container"],
  actions: ["restart_container"],
  locate: async () => ({ ok: false, reason: `inspect failed: ${dsn.lines[0]}` }),
  investigate: async () => ({
    collectedAt: "2026-12-07T12:00:00Z",
    signals: [{ name: "exited", value: true, detail: lines.at(-1)! } as never],
    observations: { docker_container_logs: { lines: lines.map((text) => ({ stream: "stdout", text })) } },
    errors: [`docker_container_stats: ${dsn.lines[0]}`],
  }),
  readOnlyTools: () => [
    tool({
      name: "docker_container_logs",
      description: "logs",
      parameters: z.object({}),
      execute: async () => ({ lines }),
    }),
    tool({
      name: "docker_container_stats",
      description: "stats",
      parameters: z.object({}),
      execute: async () => {
        throw new AegisError("tool_failed", `GET failed: ${dsn.lines[0]}`);
      },
    }),
  ],
  execute: async () => {
    throw new AegisError("action_failed", `engine said: ${dsn.lines[0]}`);
  },
  reconcile: async () => ({ happened: false, detail: dsn.lines[0]! }),
  rollback: async () => ({ rolledBack: false, detail: dsn.lines[0]! }),
  checkHealth: async () => ({
    healthy: false,
    checkedAt: "2026-12-07T12:00:00Z",
    evidence: [{ check: "health_url", ok: false, detail: `body: ${lines.join("\n")}` }],
  }),
};

describe("the evidence boundary (platformFor)", () => {
  const p = platformFor([leaky], target)!;

  it("redacts evidence, verification, details and located reasons", async () => {
    const outputs = [
      await p.investigate(target, []),
      await p.checkHealth(target, [], "", {} as never),
      await p.locate(target),
      await p.reconcile({} as never, target),
      await p.rollback({} as never, target),
    ];
    expect(leaksIn(JSON.stringify(outputs), secrets)).toEqual([]);
    expect(JSON.stringify(outputs[0])).toContain("INFO loaded TLS key:");
  });

  it("redacts what the model's tools return and the messages of errors, keeping their codes", async () => {
    const [logs, stats] = p.readOnlyTools!(target);
    expect(leaksIn(JSON.stringify(await logs!.execute({})), secrets)).toEqual([]);
    const toolErr = await stats!.execute({}).catch((e: unknown) => e);
    const actErr = await p.execute({} as never, target).catch((e: unknown) => e);
    for (const err of [toolErr, actErr]) {
      expect(err).toBeInstanceOf(AegisError);
      expect(leaksIn(describeError(err), [dsn])).toEqual([]);
      expect(describeError(err)).toContain("postgres://orders:[redacted]@db.internal");
    }
    expect((actErr as AegisError).code).toBe("action_failed");
  });

  it("hands out one wrapper per platform", () => {
    expect(platformFor([leaky], target)).toBe(p);
  });
});

describe("process logs", () => {
  it("carry no planted secret in messages, fields or errors", () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
    const log = createLogger({ level: "debug", destination: out });
    log.warn(
      { err: describeError(new Error(dsn.lines[0])), lines },
      `embeddings failed: ${lines.join("\n")}`,
    );
    log.error({ err: new Error(`connect ${dsn.lines[0]}`) }, "with an Error object");
    const text = chunks.join("");
    expect(leaksIn(text, secrets)).toEqual([]);
    expect(text).toContain("with an Error object");
    expect(text).toContain("postgres://orders:[redacted]@db.internal");
  });
});

describe("alerts at the webhook", () => {
  it("are stored and served with their labels' and annotations' secrets redacted, without the fingerprint", async () => {
    const srv = await startTestServer();
    try {
      const alert = plantedAlertText();
      const payload = retarget(fixture("am-webhook-firing"), "web");
      // No fingerprint from Alertmanager: AegisOps derives one from the labels, which must not carry a secret.
      payload.alerts = payload.alerts.map((a) => ({
        ...a,
        fingerprint: "",
        labels: { ...a.labels, ...alert.labels },
        annotations: alert.annotations,
      }));
      const res = await srv.post(payload);
      expect(res.status).toBe(202);
      const reply = await res.text();
      const id = (JSON.parse(reply) as { incidents: Array<{ id: string }> }).incidents[0]!.id;
      const served = await (await fetch(`${srv.url}/api/incidents/${id}`)).text();
      const found = [reply, served].flatMap((t) => leaksIn(t, [{ kind: "alert", needles: alert.needles }]));
      expect(found).toEqual([]);
      expect(served).toContain("https://scrape:[redacted]@metrics.internal/api/v1/write");
    } finally {
      await srv.close();
    }
  });
});

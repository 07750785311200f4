import { describe, expect, it } from "vitest";
import { REDACTED, redactLines, redactText, redactValue } from "../../core/redact.ts";
import { leaksIn, plantedAlertText, plantedEnv, plantedSecrets } from "./plantedSecrets.ts";

const secrets = plantedSecrets();

describe("redaction engine over every planted kind", () => {
  it("plants at least 20 kinds of secret", () => {
    expect(new Set(secrets.map((s) => s.kind)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(secrets.map((s) => [s.kind, s] as const))("%s: as log lines, one string each", (_k, s) => {
    const out = redactLines(s.lines).join("\n");
    expect(leaksIn(out, [s])).toEqual([]);
    expect(out).toContain(REDACTED);
  });

  it("a log whose every line starts with a timestamp (kubectl logs --timestamps)", () => {
    const lines = secrets.flatMap((s) => s.lines).map((l) => `2026-12-07T11:55:21.839123Z ${l}`);
    expect(leaksIn(redactLines(lines).join("\n"), secrets)).toEqual([]);
    const rsa = secrets.find((s) => s.kind.startsWith("PEM RSA"))!;
    const cut = rsa.lines.slice(3).map((l) => `2026-12-07T11:55:21Z ${l}`);
    expect(leaksIn(redactLines(cut).join("\n"), [rsa])).toEqual([]);
  });

  it("a whole log as one text", () => {
    const out = redactText(secrets.flatMap((s) => s.lines).join("\n"));
    expect(leaksIn(out, secrets)).toEqual([]);
  });

  it("a log as the Docker logs tool returns it (objects per line), walked in order", () => {
    const lines = secrets.flatMap((s) => s.lines).map((text) => ({ stream: "stdout", text }));
    const out = JSON.stringify(redactValue({ docker_container_logs: { lines } }));
    expect(leaksIn(out, secrets)).toEqual([]);
  });

  it("a key whose BEGIN line was cut off by the log tail is still hidden", () => {
    const rsa = secrets.find((s) => s.kind.startsWith("PEM RSA"))!;
    const tail = rsa.lines.slice(3); // from the middle of the body on
    const out = redactLines(tail).join("\n");
    expect(leaksIn(out, [rsa])).toEqual([]);
  });

  it("alert annotations and labels, and env values of secret-named variables", () => {
    const alert = plantedAlertText();
    const out = JSON.stringify(redactValue({ annotations: alert.annotations, labels: alert.labels }));
    expect(leaksIn(out, [{ kind: "alert", needles: alert.needles }])).toEqual([]);
    const env = plantedEnv();
    const named = JSON.stringify(redactValue({ env: env.env }));
    // Names that say "secret" are caught by name; LEGACY_SETTING is not, which is why env is allowlisted.
    expect(named).not.toContain(env.env.DB_PASS);
    expect(named).not.toContain(env.env.GITHUB_TOKEN);
    expect(named).toContain(env.env.LEGACY_SETTING);
  });

  it("keeps what a diagnosis reads: levels, paths, hosts, users, counts, ordinary lines", () => {
    const plain = [
      "2026-11-23T18:05:29.120Z ERROR GET /orders 500 in 1200 ms (max_tokens=1024, heap 812 MiB)",
      "java.lang.OutOfMemoryError: Java heap space",
      "\tat com.example.orders.OrderService.load(OrderService.java:118)",
      "FATAL configuration error: missing required setting DATABASE_URL",
      "INFO listening on 127.0.0.1:8080",
      "WARN consumer group orders-consumer lag 120034 on partition 7",
      "bypass cache for /static/app.4f9c2b.js",
      "sha256:4f9c2b0e8d7a6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d",
      "pod orders-7d9f8b6c5-x2x7k restarted 5 times",
      "password reset requested for user alice",
      "token bucket empty, throttling",
      // Kubernetes events about Secrets name them; they hold none.
      'MountVolume.SetUp failed for volume "secret-volume" : secret "db-secret" not found',
      "Error: couldn't find key password in Secret shop/db-creds",
      'Readiness probe failed: Get "http://10.0.0.5:8080/health": dial tcp 10.0.0.5:8080: connect: connection refused',
    ];
    for (const line of plain) expect(redactText(line)).toBe(line);
    expect(redactText('{ "password" : "two words" }')).toBe(`{ "password" : "${REDACTED}" }`);
    expect(redactText("postgres://orders:pw-Secret1@db.internal:5432/orders")).toBe(
      `postgres://orders:${REDACTED}@db.internal:5432/orders`,
    );
    // A key block in the middle of a log leaves the lines after it alone.
    const rsa = secrets.find((s) => s.kind.startsWith("PEM RSA"))!;
    const out = redactLines([...rsa.lines, "INFO server started", "ERROR upstream call failed: 500"]);
    expect(out.slice(-2)).toEqual(["INFO server started", "ERROR upstream call failed: 500"]);
  });
});

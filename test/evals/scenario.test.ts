import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { filterScenarios, loadScenarios, parseScenario } from "../../evals/harness/scenario.ts";
import { toPayload } from "../../evals/harness/payload.ts";
import { webhookSchema } from "../../core/alert.ts";

const MINIMAL = `id: one
description: d
family: crashloop
environment: { kind: docker, container: web, before: hung }
notifications:
  - alerts: [{ labels: { alertname: A, container: web } }]
expect: { actions: [kill_container] }
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("scenario files", () => {
  it("the bundled suite loads, with unique ids", () => {
    const all = loadScenarios();
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
  });

  it("a bad field is reported with the file, line and field", () => {
    const text = MINIMAL.replace(
      "expect: { actions: [kill_container] }",
      "expect:\n  actions: [reboot_everything]",
    );
    expect(() => parseScenario(text, "bad.yaml")).toThrow(/bad\.yaml:8: expect\.actions\.0/);
  });

  it("an unknown key is refused, not ignored", () => {
    expect(() => parseScenario(`${MINIMAL}expected: {}\n`, "typo.yaml")).toThrow(/typo\.yaml:\d+: expected/);
  });

  it("two files with one id are refused, naming both", () => {
    dir = mkdtempSync(join(tmpdir(), "aegis-scenarios-"));
    writeFileSync(join(dir, "a.yaml"), MINIMAL);
    writeFileSync(join(dir, "b.yaml"), MINIMAL);
    expect(() => loadScenarios(dir)).toThrow(/b\.yaml: id "one" is already used by .*a\.yaml/);
  });

  it("cluster manifests under clusters/ are not read as scenarios", () => {
    dir = mkdtempSync(join(tmpdir(), "aegis-scenarios-"));
    writeFileSync(join(dir, "a.yaml"), MINIMAL);
    mkdirSync(join(dir, "clusters"));
    writeFileSync(
      join(dir, "clusters", "shop.yaml"),
      "apiVersion: v1\nkind: Namespace\nmetadata: { name: x }\n",
    );
    expect(loadScenarios(dir).map((s) => s.id)).toEqual(["one"]);
  });

  it("--filter matches tags, families, ids and `control`", () => {
    const s = parseScenario(
      MINIMAL.replace("family: crashloop", "family: crashloop\ntags: [docker]"),
      "x.yaml",
    );
    const c = { ...s, id: "c", family: "control", control: true, tags: [] };
    expect(filterScenarios([s, c], "docker").map((x) => x.id)).toEqual(["one"]);
    expect(filterScenarios([s, c], "crashloop").map((x) => x.id)).toEqual(["one"]);
    expect(filterScenarios([s, c], "control").map((x) => x.id)).toEqual(["c"]);
    expect(filterScenarios([s, c], "one,c")).toHaveLength(2);
  });

  it("shorthand alerts become a valid Alertmanager v4 payload; a repeated alert keeps its fingerprint", () => {
    const s = parseScenario(MINIMAL, "x.yaml");
    const a = toPayload(s.notifications[0]!, new Date());
    const b = toPayload(s.notifications[0]!, new Date());
    expect(webhookSchema.safeParse(a).success).toBe(true);
    expect(a.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.alerts[0]!.fingerprint).toBe(b.alerts[0]!.fingerprint);
    expect(a.groupLabels).toEqual({ alertname: "A" });
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPolicy, loadPolicy, parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { effectiveMode } from "../../agent/policy/mode.ts";
import { resolveTarget } from "../../agent/targeting/resolveTarget.ts";
import type { Target } from "../../core/types.ts";

const container: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };

function policyError(text: string): string {
  try {
    parsePolicy(text, "policy.yaml");
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the policy to be rejected");
}

describe("policy file", () => {
  it("has safe defaults without a file: kube-system and aegisops (the shipped namespace) protected, high risk needs approval, 3 actions/target/hour", () => {
    const p = defaultPolicy();
    expect(p.protectedNamespaces).toEqual(["kube-system", "aegisops"]);
    expect(p.modes.byTier.high).toBe("approve");
    expect(p.caps.actionsPerTargetPerHour).toBe(3);
  });

  it("names the file, the line and the field of an invalid value", () => {
    expect(policyError("caps:\n  actionsPerTargetPerHour: -1\n")).toMatch(
      /^policy\.yaml:2: caps\.actionsPerTargetPerHour: /,
    );
    expect(policyError("services:\n  web:\n    healthUrl: not-a-url\n")).toMatch(
      /^policy\.yaml:3: services\.web\.healthUrl/,
    );
    expect(policyError("mode: auto\nallowlist: [restart_container, rm_rf]\n")).toMatch(
      /^policy\.yaml:2: allowlist\.1/,
    );
  });

  it("names an unknown key and a YAML syntax error with their lines", () => {
    expect(policyError("mode: auto\ncapz: {}\n")).toMatch(/^policy\.yaml:2: capz: Unrecognized key/);
    expect(policyError("mode: auto\n  bad: [\n")).toMatch(/^policy\.yaml:\d+: YAML error/);
  });

  it("reports a missing file by its path", () => {
    expect(() => loadPolicy("/nonexistent/aegis-policy.yaml")).toThrow(
      /\/nonexistent\/aegis-policy\.yaml: cannot read/,
    );
  });

  it("loads the example policy shipped in deploy/", () => {
    const p = loadPolicy(new URL("../../deploy/policy.example.yaml", import.meta.url).pathname);
    expect(p.services.checkout?.target?.container).toBe("checkout");
  });

  it("reads a policy file from disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-policy-"));
    writeFileSync(join(dir, "p.yaml"), "mode: auto\nprotectedContainers: [db]\n");
    expect(loadPolicy(join(dir, "p.yaml")).protectedContainers).toEqual(["db"]);
  });
});

describe("effective mode", () => {
  it("a risk tier can make the mode stricter, never looser", () => {
    const p = parsePolicy("modes:\n  byTier:\n    medium: approve\n    low: auto\n", "p");
    expect(effectiveMode(p, "auto", "scale_service", container, undefined)).toBe("approve");
    expect(effectiveMode(p, "advise", "restart_container", container, undefined)).toBe("advise");
    expect(effectiveMode(p, "auto", "restart_container", container, undefined)).toBe("auto");
  });

  it("a service's own mode overrides AEGIS_MODE", () => {
    const p = parsePolicy("services:\n  web:\n    mode: auto\n", "p");
    expect(effectiveMode(p, "advise", "restart_container", container, "web")).toBe("auto");
    expect(effectiveMode(p, "advise", "restart_container", container, "api")).toBe("advise");
  });
});

describe("alert labels → target", () => {
  const p = parsePolicy("services:\n  orders:\n    target:\n      container: orders-api\n", "p");
  it.each([
    [{ container: "web" }, "docker:container/web"],
    [{ container: "/web" }, "docker:container/web"],
    [{ compose_service: "api" }, "docker:service/api"],
    [{ namespace: "shop", pod: "cart-1", container: "app" }, "k8s::shop/pod/cart-1"],
    [{ namespace: "shop", deployment: "cart", cluster: "eu" }, "k8s:eu:shop/deployment/cart"],
    [{ node: "n1" }, "k8s::node/n1"],
    [{ service: "orders" }, "docker:container/orders-api"],
    [{ service: "unknown" }, "unresolved:unknown"],
    [{ alertname: "Foo" }, "unresolved:Foo"],
  ])("%j → %s", (labels, key) => {
    expect(resolveTarget(labels, p).key).toBe(key);
  });

  it("an unmapped service escalates with a reason that says how to fix it", () => {
    const t = resolveTarget({ service: "payments" }, p);
    expect(t.kind === "unresolved" && t.reason).toMatch(
      /service "payments" is not in the policy's service map/,
    );
  });
});

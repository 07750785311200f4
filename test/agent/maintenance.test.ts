import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { coveringWindow } from "../../agent/policy/maintenance.ts";
import { incidentAlert as alert } from "../helpers/alerts.ts";

const policy = parsePolicy(
  [
    "maintenance:",
    "  - name: shop upgrade",
    "    matchers: { namespace: shop }",
    '    startsAt: "2026-12-01T09:00:00Z"',
    '    endsAt: "2026-12-01T11:00:00Z"',
    "  - name: db migration",
    "    matchers: { service: orders-db }",
  ].join("\n"),
  "policy.yaml",
);
const at = (iso: string) => Date.parse(iso);

describe("maintenance windows", () => {
  it("covers firing alerts whose labels all match, while the window is open", () => {
    const w = coveringWindow(
      policy,
      [alert({ namespace: "shop", deployment: "web" })],
      at("2026-12-01T10:30:00Z"),
    );
    expect(w?.name).toBe("shop upgrade");
  });

  it("does not cover before its start or after its end", () => {
    const alerts = [alert({ namespace: "shop", deployment: "web" })];
    expect(coveringWindow(policy, alerts, at("2026-12-01T08:59:59Z"))).toBeUndefined();
    expect(coveringWindow(policy, alerts, at("2026-12-01T11:00:00Z"))).toBeUndefined();
  });

  it("does not cover an incident with one firing alert outside the window's matchers", () => {
    const alerts = [
      alert({ namespace: "shop", deployment: "web" }),
      alert({ namespace: "payments", deployment: "api" }),
    ];
    expect(coveringWindow(policy, alerts, at("2026-12-01T10:30:00Z"))).toBeUndefined();
  });

  it("an open-ended window covers at any time", () => {
    expect(coveringWindow(policy, [alert({ service: "orders-db" })], at("2030-01-01T00:00:00Z"))?.name).toBe(
      "db migration",
    );
  });

  it("rejects a window without matchers, naming the line and field", () => {
    expect(() => parsePolicy("maintenance:\n  - name: all\n    matchers: {}\n", "policy.yaml")).toThrow(
      /policy\.yaml:3: maintenance\.0\.matchers: at least one label matcher/,
    );
  });
});

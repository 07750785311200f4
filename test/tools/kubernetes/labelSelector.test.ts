import { describe, expect, it } from "vitest";
import { selects } from "../../../tools/kubernetes/labelSelector.ts";

describe("a label selector", () => {
  it("matchLabels and the four matchExpressions operators; an absent or empty selector selects all", () => {
    const labels = { app: "client", tier: "web" };
    expect(selects(undefined, labels)).toBe(true);
    expect(selects({}, labels)).toBe(true);
    expect(selects({ matchLabels: { app: "client" } }, labels)).toBe(true);
    expect(selects({ matchLabels: { app: "server" } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] }, labels)).toBe(
      true,
    );
    expect(selects({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, labels)).toBe(
      false,
    );
    expect(selects({ matchExpressions: [{ key: "zone", operator: "Exists" }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, labels)).toBe(true);
  });
});

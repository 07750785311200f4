import { describe, expect, it } from "vitest";
import { normaliseRequest } from "../../../../agent/planners/llm/cassette.ts";

const key = (content: string) =>
  normaliseRequest(
    "POST",
    "http://127.0.0.1:1234/v1/chat/completions",
    JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }),
  ).key;

describe("cassette keys", () => {
  it("ignore what changes between two runs of one scenario: incident ids, uids, generated pod names, times", () => {
    const a = key(
      "Incident inc_20261202_38475966e8574007: pod checkout-6d5f7c9b8-x7k2p (uid 0f8e3c1a-2b4d-4e6f-8a9b-1c2d3e4f5a6b) restarted at 2026-12-02T10:28:49.100Z",
    );
    const b = key(
      "Incident inc_20261203_0123456789abcdef: pod checkout-6d5f7c9b8-q9zt4 (uid 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d) restarted at 2026-12-03T01:02:03.004Z",
    );
    expect(a).toBe(b);
    // As the kubelet writes them in back-off messages: pod=<name>_<namespace>(<uid>).
    expect(key("pod=checkout-74874c4d4c-p2lmt_shop")).toBe(key("pod=checkout-74874c4d4c-m5rch_shop"));
  });

  it("still tell apart requests about different things", () => {
    expect(key("pod checkout-6d5f7c9b8-x7k2p is OOMKilled")).not.toBe(
      key("pod web-6d5f7c9b8-x7k2p is OOMKilled"),
    );
    expect(key("exit code 137")).not.toBe(key("exit code 1"));
    // Words after a dash are not mistaken for generated suffixes: they have vowels.
    expect(key("status crash-loop")).not.toBe(key("status crash-error"));
  });
});

import { describe, expect, it } from "vitest";
import { previousDeployment } from "../../../tools/argocd/rollbackApplication.ts";

const app = (history: Array<[number, string]>) => ({
  name: "checkout",
  history: history.map(([id, revision]) => ({ id, revision })),
  syncedRevision: history.at(-1)?.[1],
  automated: false,
  health: "Degraded",
});

describe("previousDeployment", () => {
  it("goes back to the deployment before the current one", () => {
    expect(
      previousDeployment(
        app([
          [0, "aaa"],
          [1, "bbb"],
          [2, "ccc"],
        ]),
      )?.id,
    ).toBe(1);
  });

  it("skips re-syncs of the current commit: they are the same bad release", () => {
    expect(
      previousDeployment(
        app([
          [3, "aaa"],
          [4, "bbb"],
          [5, "bbb"],
        ]),
      )?.id,
    ).toBe(3);
  });

  it("has nothing to go back to with one deployment", () => {
    expect(previousDeployment(app([[0, "aaa"]]))).toBeUndefined();
  });
});

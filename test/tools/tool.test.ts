import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ACTION_RISK } from "../../core/catalog.ts";
import { createArgocdRollbackTool } from "../../tools/argocd/rollbackApplication.ts";
import { actionTool, tool } from "../../tools/tool.ts";

describe("tool definitions", () => {
  it("a catalog action's tool is named after the action and carries the catalog's risk tier", () => {
    const t = actionTool({
      action: "cordon_drain_node",
      description: "test",
      parameters: z.object({ node: z.string().min(1) }),
      execute: async ({ node }) => node,
    });
    expect(t.name).toBe("cordon_drain_node");
    expect(t.risk).toBe(ACTION_RISK.cordon_drain_node);
    expect(t.risk).toBe("high");
  });

  it("another way to carry out an action keeps its own name and the action's tier", () => {
    const t = createArgocdRollbackTool({ argocd: {} as never });
    expect(t.name).toBe("argocd_rollback_application");
    expect(t.risk).toBe(ACTION_RISK.rollback_deployment);
  });

  it("a read-only tool has no tier, and bad input is refused before execute runs", async () => {
    let ran = false;
    const t = tool({
      name: "read_something",
      description: "test",
      parameters: z.object({ n: z.number().int() }),
      execute: async ({ n }) => {
        ran = true;
        return n;
      },
    });
    expect(t.risk).toBeNull();
    await expect(t.execute({ n: 1.5 })).rejects.toThrow();
    expect(ran).toBe(false);
  });
});

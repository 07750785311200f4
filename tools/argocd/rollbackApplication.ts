import { z } from "zod";
import { AegisError, describeError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { ArgocdApplication, ArgocdClient, ArgocdHistoryEntry } from "./client.ts";

/**
 * The history entry to go back to: the newest one before the current deployment whose revision differs from it
 * (a re-sync of the same commit is not a step back).
 */
export function previousDeployment(app: ArgocdApplication): ArgocdHistoryEntry | undefined {
  const history = [...app.history].sort((a, b) => a.id - b.id);
  const current = history.at(-1);
  if (!current) return undefined;
  return history.reverse().find((h) => h.id !== current.id && h.revision !== current.revision);
}

const parameters = z.object({
  application: z.string().min(1).describe("Argo CD Application that manages the deployment."),
  toId: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("History id to roll back to; the deployment before the current one when absent."),
});

/**
 * `rollback_deployment` through Argo CD: POST /api/v1/applications/{name}/rollback with the previous history id.
 * A refusal (401/403/404, auto-sync on) is an escalation, never a native fallback that Argo CD's sync would fight.
 */
export function createArgocdRollbackTool(deps: { argocd: ArgocdClient }) {
  return actionTool({
    action: "rollback_deployment",
    name: "argocd_rollback_application",
    description:
      "Roll an Argo CD Application back to the deployment before the current one (its status.history), as " +
      "`argocd app rollback` does. Refuses when auto-sync is on (Argo CD would sync the bad release back).",
    parameters,
    execute: async ({ application, toId }) => {
      const refuse = (why: string, cause?: unknown) =>
        new AegisError(
          "action_failed",
          `Argo CD rollback of application ${application} refused: ${why}; not rolling back natively, ` +
            "Argo CD would sync the release back. A person must roll back in Argo CD",
          { details: { escalate: true }, ...(cause ? { cause } : {}) },
        );
      let app: ArgocdApplication;
      try {
        app = await deps.argocd.getApplication(application);
      } catch (err) {
        throw refuse(describeError(err), err);
      }
      if (app.automated) throw refuse("auto-sync is enabled on the application");
      const target = toId !== undefined ? app.history.find((h) => h.id === toId) : previousDeployment(app);
      if (!target) {
        throw refuse(
          `no earlier deployment in its history (ids: ${app.history.map((h) => h.id).join(", ") || "none"})`,
        );
      }
      const from = [...app.history].sort((a, b) => a.id - b.id).at(-1)!;
      try {
        await deps.argocd.rollback(application, target.id);
      } catch (err) {
        throw refuse(describeError(err), err);
      }
      return {
        via: "argocd",
        application,
        server: deps.argocd.server,
        fromId: from.id,
        fromRevision: from.revision,
        toId: target.id,
        toRevision: target.revision,
      };
    },
  });
}

import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { deploymentParams } from "./params.ts";
import { toAegisError } from "./kubeErrors.ts";
import { readRollout, type DeploymentSnapshot, type RevisionSnapshot } from "./rolloutHistory.ts";
import { RESTARTED_AT } from "./rolloutRestart.ts";

/** A pod template with what a rollout restart changes removed, so two restarts of one release compare equal. */
function releaseOf(t: V1PodTemplateSpec): string {
  const copy = JSON.parse(JSON.stringify(t)) as V1PodTemplateSpec;
  if (copy.metadata?.annotations) delete copy.metadata.annotations[RESTARTED_AT];
  return JSON.stringify(copy.spec ?? {}) + JSON.stringify(copy.metadata?.annotations ?? {});
}

/**
 * The revision to go back to: the newest older revision whose pod spec differs from the current one and whose
 * ReplicaSet predates the current one. After a `rollout restart` of a bad release the previous revision is the
 * same bad release, so it is skipped.
 */
export function pickRollbackRevision(d: DeploymentSnapshot): RevisionSnapshot | undefined {
  const current = d.revisions.find((r) => r.revision === d.revision) ?? d.revisions[0];
  if (!current) return undefined;
  const bad = releaseOf(current.template);
  const born = (r: RevisionSnapshot) => (r.createdAt ? Date.parse(r.createdAt) : 0);
  // Only a ReplicaSet older than the current one is a step back: after a rollback the current ReplicaSet is an
  // old one brought back, and the "previous revision" is the release that failed (a second alert must not
  // roll forward onto it).
  return d.revisions.find(
    (r) => r.revision < current.revision && releaseOf(r.template) !== bad && born(r) <= born(current),
  );
}

const parameters = z.object({
  ...deploymentParams,
  toRevision: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Revision to restore; the last release before the current one when absent."),
});

/** `rollback_deployment`: native rollout undo, writing the last good ReplicaSet's template back. */
export function createRollbackDeploymentTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "rollback_deployment",
    description:
      "Roll a deployment back to its last good revision (what `kubectl rollout undo` does): the previous " +
      "ReplicaSet's pod template is written back, skipping revisions that are only restarts of the current " +
      "release. Returns the revisions before and after.",
    parameters,
    execute: async ({ namespace, deployment, toRevision }) => {
      const snap = await readRollout(deps.kube, namespace, deployment);
      const target =
        toRevision !== undefined
          ? snap.revisions.find((r) => r.revision === toRevision)
          : pickRollbackRevision(snap);
      if (!target) {
        throw new AegisError(
          "action_failed",
          `deployment ${namespace}/${deployment} has no earlier release to roll back to ` +
            `(revisions: ${snap.revisions.map((r) => r.revision).join(", ") || "none"})`,
        );
      }
      try {
        await deps.kube.apps.patchNamespacedDeployment({
          name: deployment,
          namespace,
          // client-node's default patch type is JSON patch: replace the template whole, as kubectl does.
          body: [{ op: "replace", path: "/spec/template", value: target.template }],
        });
      } catch (err) {
        throw toAegisError(err, `deployment ${namespace}/${deployment}`, "rolling back", "action_failed");
      }
      return {
        deployment,
        fromRevision: snap.revision,
        toRevision: target.revision,
        toReplicaSet: target.name,
        toTemplateHash: target.templateHash,
        images: target.images,
      };
    },
  });
}

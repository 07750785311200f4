import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { podParams } from "./params.ts";
import { toAegisError } from "./kubeErrors.ts";
import { podSnapshot } from "./listPods.ts";

const parameters = z.object({
  ...podParams,
  force: z
    .boolean()
    .default(false)
    .describe(
      "Delete with grace period 0 (kubectl delete --force --grace-period=0): for a hung container that ignores " +
        "SIGTERM, or a pod stuck Terminating. The object goes at once; its controller's replacement takes over.",
    ),
});

/** `restart_pod`: delete a controller-owned pod so its controller creates a fresh one; `force` skips the grace period. */
export function createRestartPodTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "restart_pod",
    description:
      "Restart a pod by deleting it; its ReplicaSet/StatefulSet creates a replacement. Refuses a bare pod " +
      "(nothing would bring it back) and a forced delete of a StatefulSet pod (two pods could run with one " +
      "identity). Returns the deleted pod's uid.",
    parameters,
    execute: async ({ namespace, pod, force }) => {
      const ref = `pod ${namespace}/${pod}`;
      let p;
      try {
        p = podSnapshot(await deps.kube.core.readNamespacedPod({ name: pod, namespace }));
      } catch (err) {
        throw toAegisError(err, ref, "reading");
      }
      if (!p.ownerKind) {
        throw new AegisError(
          "action_failed",
          `${ref} has no controller; deleting it would not bring it back`,
        );
      }
      if (force && p.ownerKind === "StatefulSet") {
        throw new AegisError(
          "action_failed",
          `${ref} belongs to a StatefulSet; a forced delete could run two pods with one identity`,
        );
      }
      try {
        await deps.kube.core.deleteNamespacedPod(
          force
            ? { name: pod, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0 } }
            : { name: pod, namespace },
        );
      } catch (err) {
        throw toAegisError(err, ref, "deleting", "action_failed");
      }
      return {
        pod,
        uid: p.uid,
        owner: `${p.ownerKind}/${p.ownerName}`,
        node: p.node,
        force,
        wasTerminating: p.deleting,
      };
    },
  });
}

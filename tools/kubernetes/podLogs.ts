import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { podParams } from "./params.ts";
import { kubeStatus, toAegisError } from "./kubeErrors.ts";

const parameters = z.object({
  ...podParams,
  container: z.string().optional().describe("Container name; the pod's first when absent."),
  previous: z
    .boolean()
    .default(false)
    .describe("Read the previous (crashed) run of the container instead of the current one."),
  tailLines: z.number().int().min(1).max(1000).default(100).describe("Lines from the end."),
});

/** `k8s_pod_logs`: the tail of a pod's log, or of its previous container run (why it crashed). */
export function createPodLogsTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_pod_logs",
    description:
      "Read the last lines of a pod's container log; previous=true reads the run that crashed. A container " +
      "that never ran before answers with no lines.",
    parameters,
    execute: async ({ namespace, pod, container, previous, tailLines }) => {
      try {
        const text = await deps.kube.core.readNamespacedPodLog({
          name: pod,
          namespace,
          previous,
          tailLines,
          ...(container ? { container } : {}),
        });
        return {
          pod,
          previous,
          lines: String(text)
            .split("\n")
            .filter((l) => l.length > 0),
        };
      } catch (err) {
        // No previous run (or not started yet) is an answer, not a failure.
        if (kubeStatus(err) === 400) return { pod, previous, lines: [] as string[] };
        throw toAegisError(err, `pod ${namespace}/${pod}`, "reading the log of");
      }
    },
  });
}

import { z } from "zod";
import { waitSeconds } from "../schemas.ts";
import { actionTool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";
import { aroundStart, type StartTimes } from "./startTimes.ts";

/** Output of `restart_container`. */
export type RestartResult = StartTimes & { restarted: true };

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
  timeoutSeconds: waitSeconds({
    min: 0,
    max: 120,
    default: 10,
    describe: "Seconds to wait after SIGTERM before the engine sends SIGKILL.",
  }),
});

/** `restart_container`: stop (SIGTERM, then SIGKILL after the timeout) and start a container. */
export function createRestartContainerTool(deps: { docker: DockerClient }) {
  return actionTool({
    action: "restart_container",
    description:
      "Restart a Docker container: SIGTERM, SIGKILL after timeoutSeconds, then start. Clears in-memory " +
      "state such as a leak or a stuck fault. Returns the start times before and after.",
    parameters,
    execute: async ({ container, timeoutSeconds }): Promise<RestartResult> => {
      const times = await aroundStart(deps.docker, container, async (before) => {
        try {
          await deps.docker.getContainer(before.id).restart({ t: timeoutSeconds });
        } catch (err) {
          throw toAegisError(err, container, "restart of", "action_failed");
        }
      });
      return { ...times, restarted: true };
    },
  });
}

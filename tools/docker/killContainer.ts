import { z } from "zod";
import { pollUntil, type Clock } from "../../core/clock.ts";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { dockerStatus, toAegisError } from "./dockerErrors.ts";
import { inspectSnapshot } from "./inspectContainer.ts";
import { aroundStart, type StartTimes } from "./startTimes.ts";

/** Output of `kill_container`. */
export type KillResult = StartTimes;

// The engine waits for the process to die only after SIGKILL; any other signal may leave it running.
const DEFAULT_STOP_WAIT_MS = 10_000;
const POLL_MS = 100;

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
  signal: z
    .string()
    .regex(/^(SIG)?[A-Z0-9]+$/, "a signal name such as SIGKILL")
    .default("SIGKILL")
    .describe(
      "Signal to send before starting the container again; SIGKILL ends a process that ignores SIGTERM.",
    ),
});

/** `kill_container`: kill a hung container's process, then start it again. */
export function createKillContainerTool(deps: { docker: DockerClient; stopWaitMs?: number; clock?: Clock }) {
  const stopWaitMs = deps.stopWaitMs ?? DEFAULT_STOP_WAIT_MS;
  return actionTool({
    action: "kill_container",
    description:
      "Kill a Docker container's process (SIGKILL by default) and start it again. For a hung process " +
      "that no longer answers and ignores SIGTERM, where restart_container would wait out its timeout.",
    parameters,
    execute: async ({ container, signal }): Promise<KillResult> => {
      return aroundStart(deps.docker, container, async (before) => {
        const handle = deps.docker.getContainer(before.id);
        try {
          await handle.kill({ signal });
        } catch (err) {
          // 409: it was not running, which is as good as killed.
          if (dockerStatus(err) !== 409) throw toAegisError(err, container, "kill of", "action_failed");
        }
        if (!/^(SIG)?KILL$/.test(signal)) {
          await waitUntilStopped(
            deps.docker,
            before.id,
            before.state.startedAt,
            container,
            signal,
            stopWaitMs,
            deps.clock,
          );
        }
        try {
          await handle.start();
        } catch (err) {
          // 304: already running again, e.g. the restart policy was quicker than us.
          if (dockerStatus(err) !== 304) throw toAegisError(err, container, "start of", "action_failed");
        }
      });
    },
  });
}

async function waitUntilStopped(
  docker: DockerClient,
  id: string,
  startedAtBefore: string,
  container: string,
  signal: string,
  waitMs: number,
  clock: Clock | undefined,
): Promise<void> {
  const stopped = await pollUntil(
    async () => (await inspectSnapshot(docker, id)).state,
    // A new start time means the restart policy already brought it back.
    (state) => !state.running || state.startedAt !== startedAtBefore,
    { timeoutMs: waitMs, intervalMs: POLL_MS, clock },
  );
  if (stopped.done) return;
  throw new AegisError(
    "action_failed",
    `container ${container} still runs ${waitMs / 1000} s after ${signal}; use SIGKILL`,
  );
}

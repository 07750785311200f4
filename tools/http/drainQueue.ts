import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";

const parameters = z.object({
  url: z.string().url().describe("The drain hook the policy names."),
  method: z.enum(["POST", "PUT"]).describe("HTTP method of the call."),
  queue: z.string().min(1).describe("Queue to drain."),
  service: z.string().min(1).describe("Service whose workers consume it (for the hook's own records)."),
  token: z
    .string()
    .optional()
    .describe("Bearer token for the hook, from the environment variable the policy names."),
  timeoutMs: z.number().int().positive().default(10_000).describe("How long to wait for the hook's answer."),
});

/**
 * `drain_queue`: call the drain hook the policy configures, once. The hook owns what "drain" means (move the
 * backlog to a spill queue, pause low-priority producers); AegisOps only asks and reports its answer.
 */
export function createDrainQueueTool() {
  return actionTool({
    action: "drain_queue",
    description:
      "Drain a work queue's backlog through the hook the policy configures (one HTTP call with a JSON body " +
      "{queue, service, requestedBy}); a non-2xx answer is a failed action. Returns the hook's status and reply.",
    parameters,
    execute: async ({ url, method, queue, service, token, timeoutMs }) => {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ queue, service, requestedBy: "aegisops" }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        // The call may have reached the hook: the caller must not send it again.
        throw new AegisError(
          "action_failed",
          `drain hook ${new URL(url).host} unreachable: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      const reply = (await res.text()).slice(0, 500);
      if (!res.ok) {
        throw new AegisError(
          "action_failed",
          `drain hook answered HTTP ${res.status}: ${reply.slice(0, 200)}`,
        );
      }
      return {
        queue,
        hook: `${method} ${new URL(url).origin}${new URL(url).pathname}`,
        status: res.status,
        reply,
      };
    },
  });
}

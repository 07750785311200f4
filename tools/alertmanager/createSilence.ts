import { z } from "zod";
import { AegisError } from "../../core/errors.ts";

/** What a new silence matches, for how long, and who asked. */
export interface NewSilence {
  matchers: Array<{ name: string; value: string }>;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

const answerSchema = z.object({ silenceID: z.string() });

/** Create an Alertmanager silence (`POST /api/v2/silences`); returns its id. */
export async function createSilence(
  opts: { alertmanagerUrl: string; timeoutMs?: number },
  s: NewSilence,
): Promise<string> {
  const url = `${opts.alertmanagerUrl.replace(/\/$/, "")}/api/v2/silences`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: s.matchers.map((m) => ({ ...m, isRegex: false, isEqual: true })),
        startsAt: s.startsAt.toISOString(),
        endsAt: s.endsAt.toISOString(),
        createdBy: s.createdBy,
        comment: s.comment,
      }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
    });
  } catch (err) {
    throw new AegisError("tool_failed", `Alertmanager ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok)
    throw new AegisError(
      "tool_failed",
      `Alertmanager ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
    );
  const parsed = answerSchema.safeParse(await res.json());
  if (!parsed.success) throw new AegisError("tool_failed", `Alertmanager ${url}: unexpected answer`);
  return parsed.data.silenceID;
}

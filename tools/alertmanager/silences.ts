import { z } from "zod";
import { AegisError } from "../../core/errors.ts";

/** One matcher of an Alertmanager silence (API v2). */
const matcherSchema = z.object({
  name: z.string(),
  value: z.string(),
  isRegex: z.boolean(),
  isEqual: z.boolean().default(true),
});

/** An Alertmanager silence as `GET /api/v2/silences` returns it. */
const silenceSchema = z.object({
  id: z.string(),
  matchers: z.array(matcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string().default(""),
  comment: z.string().default(""),
  status: z.object({ state: z.enum(["active", "pending", "expired"]) }),
});
export type Silence = z.infer<typeof silenceSchema>;

/** The silences Alertmanager holds now that are active (not pending, not expired). */
export async function listActiveSilences(opts: {
  alertmanagerUrl: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<Silence[]> {
  const url = `${opts.alertmanagerUrl.replace(/\/$/, "")}/api/v2/silences`;
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 3000);
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
  } catch (err) {
    throw new AegisError("tool_failed", `Alertmanager ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new AegisError("tool_failed", `Alertmanager ${url}: HTTP ${res.status}`);
  const parsed = z.array(silenceSchema).safeParse(await res.json());
  if (!parsed.success) throw new AegisError("tool_failed", `Alertmanager ${url}: unexpected answer`);
  return parsed.data.filter((s) => s.status.state === "active");
}

/** True when every matcher of the silence holds for the labels (regex matchers are anchored, as in Alertmanager). */
export function silenceMatches(silence: Silence, labels: Readonly<Record<string, string>>): boolean {
  return silence.matchers.every((m) => {
    const value = labels[m.name] ?? "";
    const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(value) : value === m.value;
    return hit === m.isEqual;
  });
}

/** The active silence that covers every one of the firing alerts' label sets, if any. */
export function coveringSilence(
  silences: readonly Silence[],
  firing: ReadonlyArray<Readonly<Record<string, string>>>,
): Silence | undefined {
  if (firing.length === 0) return undefined;
  return silences.find((s) => firing.every((labels) => silenceMatches(s, labels)));
}

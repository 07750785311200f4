import { redactText, redactValue } from "../../core/redact.ts";
import type { Tool } from "../../tools/tool.ts";
import type { Platform } from "./platform.ts";

/**
 * The evidence boundary: what a platform reads from the outside world (tool results, logs, probes, API
 * errors) enters an incident only through here, redacted once. Storage, the API, exports, notifications,
 * embeddings and the model then only ever see redacted text, and none of them redacts again.
 *
 * Not redacted: the target (identities the agent acts on) and action results (our own records, which an undo
 * reads back verbatim: replica counts, selectors, names).
 */
export function redactingPlatform(platform: Platform): Platform {
  const members = {
    kinds: platform.kinds,
    actions: platform.actions,
    locate: (target) =>
      guarded(async () => {
        const located = await platform.locate(target);
        if (!located.ok) return { ...located, reason: redactText(located.reason) };
        return located.protectedReason
          ? { ...located, protectedReason: redactText(located.protectedReason) }
          : located;
      }),
    investigate: (target, alerts, clock) =>
      guarded(async () => redactValue(await platform.investigate(target, alerts, clock))),
    execute: (decision, target) => guarded(() => platform.execute(decision, target)),
    reconcile: (record, target) =>
      guarded(async () => {
        const r = await platform.reconcile(record, target);
        return { ...r, detail: redactText(r.detail) };
      }),
    rollback: (record, target) =>
      guarded(async () => {
        const r = await platform.rollback(record, target);
        return { ...r, detail: redactText(r.detail) };
      }),
    checkHealth: (target, alerts, since, decision) =>
      guarded(async () => redactValue(await platform.checkHealth(target, alerts, since, decision))),
  } satisfies Omit<Platform, "readOnlyTools" | "undo" | "undoConflict">;
  const wrapped: Platform = members;
  const readOnlyTools = platform.readOnlyTools?.bind(platform);
  if (readOnlyTools) wrapped.readOnlyTools = (target) => readOnlyTools(target).map(redactingTool);
  const undo = platform.undo?.bind(platform);
  if (undo)
    wrapped.undo = (record, target) =>
      guarded(async () => {
        const r = await undo(record, target);
        return { ...r, detail: redactText(r.detail) };
      });
  const undoConflict = platform.undoConflict?.bind(platform);
  if (undoConflict)
    wrapped.undoConflict = (record, target) =>
      guarded(async () => {
        const why = await undoConflict(record, target);
        return why === undefined ? undefined : redactText(why);
      });
  // A member added to Platform (optional ones too) must be passed through here, or it would vanish behind
  // the boundary: this fails to compile until it is.
  const covered: Record<
    Exclude<keyof Platform, keyof typeof members | "readOnlyTools" | "undo" | "undoConflict">,
    never
  > = {};
  void covered;
  return wrapped;
}

/** A tool whose results and error messages pass the same redaction (the model calls these directly). */
export function redactingTool(t: Tool): Tool {
  return {
    ...t,
    execute: (input, options) => guarded(async () => redactValue(await t.execute(input, options))),
  };
}

/** Errors carry API bodies and URLs into timelines and logs: their messages are redacted too. */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error) err.message = redactText(err.message);
    throw err;
  }
}

import { z } from "zod";
import type { SimContext } from "../controllers/context.ts";
import { R, isActive } from "../controllers/context.ts";
import type { PodEffect } from "../podEffects.ts";
import type { KubeObject, Pod } from "../types.ts";

/** flagd's flag definition document (the fields the simulated processes read). */
const flagdDocument = z
  .object({
    flags: z.record(
      z.string(),
      z
        .object({
          state: z.string().default("ENABLED"),
          defaultVariant: z.string(),
          variants: z.record(z.string(), z.unknown()).optional(),
        })
        .passthrough(),
    ),
  })
  .passthrough();

/** The variant each flag of a flagd document resolves to (undefined for a disabled flag), or an error. */
export function resolveFlags(text: string | undefined): Map<string, string> | { error: string } {
  if (text === undefined) return new Map();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const doc = flagdDocument.safeParse(raw);
  if (!doc.success) return { error: doc.error.issues[0]?.message ?? "not a flagd document" };
  const out = new Map<string, string>();
  for (const [name, f] of Object.entries(doc.data.flags))
    if (f.state !== "DISABLED") out.set(name, f.defaultVariant);
  return out;
}

/** Resolved flags per ConfigMap key and resourceVersion (the document is parsed once per change). */
const parsed = new Map<string, ReturnType<typeof resolveFlags>>();

function cachedFlags(
  cm: (KubeObject & { data?: Record<string, string> }) | undefined,
  key: string,
): ReturnType<typeof resolveFlags> {
  if (!cm) return new Map();
  const id = `${cm.metadata.uid}/${key}@${cm.metadata.resourceVersion}`;
  let r = parsed.get(id);
  if (!r) {
    if (parsed.size > 1000) parsed.clear();
    r = resolveFlags(cm.data?.[key]);
    parsed.set(id, r);
  }
  return r;
}

/**
 * The feature-flag controller: each running container whose image reads flags (the registry's `flags`) gets,
 * while a flag it reads is on, that rule's behaviour (a failing route, a leak, a CPU burn, slowness, load sent
 * elsewhere). The flags are re-read on every pass, as flagd watches its file: editing the ConfigMap back clears
 * the effect without a restart.
 */
export function reconcileFlags(ctx: SimContext): void {
  const byPod = new Map<string, PodEffect[]>();
  for (const p of ctx.store.view(R.pods) as readonly Pod[]) {
    if (!isActive(p) || p.status?.phase !== "Running") continue;
    const ns = p.metadata.namespace ?? "default";
    for (const c of p.spec.containers) {
      // Flags are a property of the image (the registry's entry), read without the revision rules' merging.
      const pulled = c.image ? ctx.world.registry.pull(c.image) : undefined;
      const flags = pulled?.ok ? pulled.behaviour.flags : undefined;
      if (!flags) continue;
      const cm = ctx.store.peek(R.configmaps, ns, flags.configMap) as
        (KubeObject & { data?: Record<string, string> }) | undefined;
      const resolved = cachedFlags(cm, flags.key);
      if ("error" in resolved) continue;
      for (const rule of flags.when) {
        if (resolved.get(rule.flag) !== rule.variant) continue;
        const list = byPod.get(p.metadata.uid!) ?? [];
        list.push({
          source: `${ns}/configmap/${flags.configMap}`,
          containers: [c.name],
          behaviour: rule.behaviour,
        });
        byPod.set(p.metadata.uid!, list);
      }
    }
  }
  ctx.world.setEffects("flags", byPod);
}

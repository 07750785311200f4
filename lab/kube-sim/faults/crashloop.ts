import { R } from "../controllers/context.ts";
import { secretsOf } from "../controllers/kubelet.ts";
import { ApiError } from "../http/status.ts";
import type { Pod } from "../types.ts";
import type { FaultFamily } from "./types.ts";
import { nextImage, rollOutImage, stillRuns, targetDeployment } from "./types.ts";

/**
 * CrashLoopBackOff. Causes: a release whose binary crashes (`bad_image`), a release with a broken config
 * (`bad_revision`): both clear with `rollback_deployment`; or a Secret the pods need was deleted
 * (`missing_secret`): only re-creating it clears that, and restarting a pod makes it worse (the new pod
 * cannot even start: CreateContainerConfigError).
 */
export const crashloop: FaultFamily = {
  family: "crashloop",
  variants: ["bad_image", "bad_revision", "missing_secret"],
  describe: "CrashLoopBackOff from a bad image, a crashing new revision, or a missing Secret",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const variant = spec.variant ?? "bad_image";
    const c0 = d.spec.template.spec.containers[0]!;
    if (variant === "missing_secret") {
      const secret = secretsOf({ spec: d.spec.template.spec } as Pod)[0];
      if (!secret) throw new ApiError("BadRequest", `deployment ${d.metadata.name} references no Secret`);
      const saved = ctx.store.peek(R.secrets, d.metadata.namespace, secret);
      if (saved) ctx.store.delete(R.secrets, d.metadata.namespace, secret);
      return {
        cause: `Secret ${d.metadata.namespace}/${secret}, which ${d.metadata.name} reads its credentials from, was deleted`,
        clearedBy: `re-create Secret ${secret} (restart_pod makes it worse: CreateContainerConfigError)`,
        active: (c) => !c.store.peek(R.secrets, d.metadata.namespace, secret),
        revert: (c) => {
          if (saved && !c.store.peek(R.secrets, d.metadata.namespace, secret))
            c.store.create(R.secrets, {
              ...saved,
              metadata: { name: secret, namespace: d.metadata.namespace, labels: saved.metadata.labels },
            });
        },
      };
    }
    if (variant === "bad_revision") {
      const env = { name: "FEATURE_FLAGS", value: `checkout-v${(d.metadata.generation ?? 1) + 1}` };
      ctx.world.revisions.push({
        env,
        behaviour: {
          crash: {
            exitCode: 1,
            logs: [
              `FATAL config: feature flag "${env.value}" requires PAYMENTS_URL, which is not set`,
              "exit status 1",
            ],
          },
        },
      });
      const containers = d.spec.template.spec.containers.map((c, i) =>
        i === 0 ? { ...c, env: [...(c.env ?? []).filter((e) => e.name !== env.name), env] } : c,
      );
      ctx.store.update(
        R.deployments,
        {
          ...d,
          metadata: { ...d.metadata, resourceVersion: undefined },
          spec: {
            ...d.spec,
            template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers } },
          },
        },
        "spec",
      );
      const has = (cs: { env?: { name: string; value?: string }[] }[]) =>
        cs.some((c) => (c.env ?? []).some((e) => e.name === env.name && e.value === env.value));
      return {
        cause: `revision with ${env.name}=${env.value} of ${d.metadata.name} crashes on start (broken config)`,
        clearedBy: "rollback_deployment",
        active: (c) => {
          const cur = c.store.peek(R.deployments, d.metadata.namespace, d.metadata.name);
          const pods = c.store.view(R.pods, d.metadata.namespace) as readonly Pod[];
          return (
            !!cur &&
            (has((cur.spec as typeof d.spec).template.spec.containers) ||
              pods.some((p) => has(p.spec.containers)))
          );
        },
        revert: (c) => {
          const i = c.world.revisions.findIndex((r) => r.env?.value === env.value);
          if (i >= 0) c.world.revisions.splice(i, 1);
        },
      };
    }
    const image = nextImage(c0.image);
    ctx.world.revisions.push({
      image,
      behaviour: {
        crash: {
          exitCode: 2,
          logs: [
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b2e1f]",
            "goroutine 1 [running]:",
            "main.(*Server).loadRoutes(0x0)",
          ],
        },
      },
    });
    rollOutImage(ctx, d, image);
    return {
      cause: `release ${image} of ${d.metadata.name} crashes on start`,
      clearedBy: "rollback_deployment",
      active: (c) => stillRuns(c, d, image),
      revert: (c) => {
        const i = c.world.revisions.findIndex((r) => r.image === image);
        if (i >= 0) c.world.revisions.splice(i, 1);
      },
    };
  },
};

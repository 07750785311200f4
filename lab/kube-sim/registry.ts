import { z } from "zod";
import { parseManifests } from "./fixture.ts";
import type { KubeObject } from "./types.ts";

/** apiVersion of the simulator's own fixture kinds (never stored or served: they describe the world). */
export const SIM_API_VERSION = "kube-sim.aegisops.io/v1";

const route = z
  .object({
    path: z.string().describe("URL path prefix of the route, e.g. /api/checkout"),
    errorRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe("share of this route's requests answered with `code`"),
    code: z.enum(["500", "502", "503", "504"]).default("500"),
    /** Share of all traffic that goes to this route (default: an even share of 0.5). */
    share: z.number().min(0).max(1).default(0.5),
    log: z.string().optional().describe("what the process logs for each failure burst"),
    /** Extra latency of this route's requests alone, in ms (e.g. only requests with a promo code are slow). */
    latencyMs: z.number().min(0).optional(),
    /**
     * Labels the process's exporter puts on this route's request metrics (default `{route: <path>}`), e.g.
     * `{route: /checkout, coupon: promotions}`.
     */
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** A call the process makes to the Kubernetes API with its pod's ServiceAccount token. */
const kubeApiCall = z
  .object({
    verb: z.enum(["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]),
    /** The resource (plural), with a subresource as `pods/log`. */
    resource: z.string(),
    /** The API group ("" for the core group). */
    group: z.string().default(""),
    /** The namespace it asks in (default: the pod's own); `""` asks across all namespaces (cluster scope). */
    namespace: z.string().optional(),
    name: z.string().optional(),
    /**
     * What the process does when the API server refuses (403): exit at start (a crash loop, a failed Job),
     * answer the `share` of requests that need it with 500, or only log it (a loop that retries).
     */
    onForbidden: z.enum(["exit", "errors", "log"]).default("exit"),
    share: z.number().min(0).max(1).default(1),
    /**
     * The lines logged on a refusal; `$message` is the API server's message (default: kubectl's
     * `Error from server (Forbidden): $message`).
     */
    log: z.array(z.string()).optional(),
  })
  .strict();

const dependency = z
  .object({
    /** The Service the process calls, by name in the pod's namespace (or `name.namespace`). */
    service: z.string().optional(),
    /** An environment variable holding the address (`host[:port]` or a URL) the process dials instead. */
    env: z.string().optional(),
    /** What the process does when the dependency cannot be reached: answer 5xx, or exit at start. */
    onFailure: z.enum(["errors", "exit"]).default("errors"),
    /** Share of the requests that need this dependency (when it fails, that share fails). */
    share: z.number().min(0).max(1).default(1),
  })
  .strict()
  .refine((d) => d.service !== undefined || d.env !== undefined, "service or env is required");

/**
 * Feature flags a process evaluates (the OpenTelemetry Demo's services ask flagd, which serves a ConfigMap key):
 * while a flag's `defaultVariant` is `variant` (and its `state` is not DISABLED), `behaviour` is added to the
 * image's own. Re-read on every pass, so editing the ConfigMap turns it on or off without a restart.
 */
export const featureFlagsSchema = z
  .object({
    /** The ConfigMap (in the pod's namespace) holding the flagd document. */
    configMap: z.string(),
    /** Its key (flagd's `{"flags": {name: {state, variants, defaultVariant}}}` JSON). */
    key: z.string(),
    when: z
      .array(
        z
          .object({
            flag: z.string(),
            variant: z.string().default("on"),
            behaviour: z.lazy(() => imageBehaviourSchema),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/**
 * How a process started from an image behaves. Every field is optional: an empty behaviour is a process that
 * starts, listens on 8080, answers every request and holds a flat 96 MiB.
 */
export const imageBehaviourSchema = z
  .object({
    /** The process exits `afterMs` after starting (default: before its first probe), printing `logs`. */
    exit: z
      .object({
        code: z.number().int().default(1),
        afterMs: z.number().int().min(0).optional(),
        logs: z.array(z.string()).default([]),
      })
      .strict()
      .optional(),
    /** The binary is built for another CPU architecture: `exec format error` on every start. */
    arch: z.string().optional(),
    /** Executables the image holds (argv[0] of `command`, or the first word of `sh -c`); others fail to start. */
    binaries: z.array(z.string()).optional(),
    /** Environment variables the process refuses to start without. */
    requiresEnv: z.array(z.string()).optional(),
    /** Files the process reads at start (from a ConfigMap or Secret volume); missing → exits. */
    requiresFiles: z.array(z.string()).optional(),
    /** Share of all requests answered 500 (a bug on every route). */
    errorRatio: z.number().min(0).max(1).optional(),
    /** Routes that fail; the probe of a failing path fails too. */
    routes: z.array(route).optional(),
    /** Extra latency of every request, in ms (a slow release). */
    latencyMs: z.number().min(0).optional(),
    /** The process stops answering (probes time out, nothing more is logged) this long after it starts. */
    hangAfterMs: z.number().int().min(0).optional(),
    /** Time from start until it listens (a slow start: probes are refused meanwhile). */
    startupMs: z.number().int().min(0).optional(),
    /** Port the process listens on (default 8080). */
    port: z.number().int().optional(),
    /** Working set right after start, in MiB (default 96). */
    memoryMiB: z.number().min(0).optional(),
    /** Memory growth per minute of uptime, in MiB (a leak). */
    leakMiBPerMin: z.number().min(0).optional(),
    /** What the process has written to its writable layer and logs right after start, in MiB. */
    diskMiB: z.number().min(0).optional(),
    /** What it writes per minute of uptime to its writable layer and logs, in MiB (ephemeral storage). */
    diskMiBPerMin: z.number().min(0).optional(),
    /** A cache filled once after start, then held (a plateau, not a leak). */
    cache: z.object({ mib: z.number(), warmMs: z.number() }).strict().optional(),
    /** CPU the process wants at its base load, in millicores (default: in proportion to its traffic). */
    cpuMillicores: z.number().min(0).optional(),
    /** Services or addresses the process calls for each request (a DB, an upstream). */
    dependsOn: z.array(dependency).optional(),
    /** Requests per second the process sends to Services (a load generator): they add to those Services' traffic. */
    load: z
      .array(
        z
          .object({
            service: z.string().describe("a Service in the pod's namespace, or `name.namespace`"),
            rps: z.number().min(0),
          })
          .strict(),
      )
      .optional(),
    /** Kubernetes API calls the process makes with its pod's ServiceAccount (refused per the cluster's RBAC). */
    kubeApi: z.array(kubeApiCall).optional(),
    /** Labels of the request metrics of the traffic no listed route takes (default `{route: "/"}`). */
    otherRouteLabels: z.record(z.string(), z.string()).optional(),
    /** Lines logged every 10 s while serving (besides the request summary). */
    logs: z.array(z.string()).optional(),
  })
  .strict();

/** An image's behaviour, with overrides for the executables it holds (a multi-binary image). */
export const imageEntrySchema = imageBehaviourSchema.extend({
  /** Behaviour when the container's command runs this executable instead of the default one (by basename). */
  commands: z.record(z.string(), imageBehaviourSchema).optional(),
  /** Feature flags the process re-reads (flagd's JSON in a ConfigMap key) and what it does when one is on. */
  flags: featureFlagsSchema.optional(),
});

export type ImageBehaviour = z.infer<typeof imageEntrySchema>;
export type KubeApiCall = z.infer<typeof kubeApiCall>;

/** Legacy revision behaviour (fault families): `crash` is `exit` at the default time. */
export type RevisionBehaviour = ImageBehaviour & { crash?: { exitCode: number; logs: string[] } };

const imageEntry = z.union([
  imageEntrySchema,
  z.literal("missing").describe("the tag does not exist in the repository"),
  z.literal("denied").describe("the repository does not exist or needs credentials"),
]);

/** `kind: ImageRegistry`: what each image of the simulated registry does when run. */
export const imageRegistrySchema = z
  .object({
    apiVersion: z.literal(SIM_API_VERSION),
    kind: z.literal("ImageRegistry"),
    metadata: z.object({ name: z.string() }).passthrough().optional(),
    /**
     * Repositories whose tags are all listed here (or in the cluster's manifests): any other tag of them fails
     * to pull (`not found`). Repositories of the cluster's own manifests are closed too.
     */
    closedRepositories: z.array(z.string()).default([]),
    images: z.record(z.string(), imageEntry).default({}),
  })
  .strict();

export type ImageRegistryFixture = z.infer<typeof imageRegistrySchema>;

/** What pulling an image gives. */
export type PullResult =
  { ok: true; behaviour: ImageBehaviour } | { ok: false; reason: "not_found" | "denied"; ref: string };

/** Splits `repo:tag` (no tag: `latest`; a digest counts as a tag). */
export function splitImage(image: string): { repo: string; tag: string } {
  const at = image.indexOf("@");
  if (at >= 0) return { repo: image.slice(0, at), tag: image.slice(at + 1) };
  const i = image.lastIndexOf(":");
  return i > image.lastIndexOf("/")
    ? { repo: image.slice(0, i), tag: image.slice(i + 1) }
    : { repo: image, tag: "latest" };
}

/** The fully qualified reference containerd reports (`nginx` → `docker.io/library/nginx:latest`). */
export function qualifiedRef(image: string): string {
  const { repo, tag } = splitImage(image);
  const first = repo.split("/")[0]!;
  const hasRegistry =
    repo.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const full = hasRegistry ? repo : repo.includes("/") ? `docker.io/${repo}` : `docker.io/library/${repo}`;
  return `${full}${tag.includes(":") ? "@" : ":"}${tag}`;
}

/**
 * The simulated image registry. An image listed with a behaviour pulls and runs as described; `missing` and
 * `denied` entries fail to pull. A repository is closed when the cluster's own manifests (or the fixture) name
 * it: tags of it not seen there do not exist. Images of other repositories pull and behave like a plain server,
 * so manifests written for a real cluster run unchanged.
 */
export class ImageRegistry {
  private readonly images = new Map<string, ImageBehaviour | "missing" | "denied">();
  private readonly closed = new Set<string>();

  /** Adds (or replaces) images from a registry fixture. */
  load(fixture: ImageRegistryFixture): void {
    for (const r of fixture.closedRepositories) this.closed.add(r);
    for (const [image, entry] of Object.entries(fixture.images)) {
      this.images.set(image, entry);
      if (entry !== "denied") this.closed.add(splitImage(image).repo);
    }
  }

  /** Declares an image that exists (optionally with a behaviour); its repository becomes closed. */
  add(image: string, behaviour: ImageBehaviour = {}): void {
    this.images.set(image, behaviour);
    this.closed.add(splitImage(image).repo);
  }

  /** Marks the images that objects (the cluster's manifests) run as existing, with their behaviour kept. */
  addFromObjects(objects: readonly KubeObject[]): void {
    for (const image of imagesOf(objects)) if (!this.images.has(image)) this.add(image);
  }

  /** Removes an image (a fault's reset). */
  remove(image: string): void {
    this.images.delete(image);
  }

  pull(image: string): PullResult {
    const entry = this.images.get(image);
    const ref = qualifiedRef(image);
    if (entry === "missing") return { ok: false, reason: "not_found", ref };
    if (entry === "denied") return { ok: false, reason: "denied", ref };
    if (entry) return { ok: true, behaviour: entry };
    if (this.closed.has(splitImage(image).repo)) return { ok: false, reason: "not_found", ref };
    return { ok: true, behaviour: {} };
  }

  /** The listed images and their entries (for `GET /sim/images`). */
  list(): Record<string, ImageBehaviour | "missing" | "denied"> {
    return Object.fromEntries(this.images);
  }
}

/** Every container and init container image the objects' pod templates (or pods) name. */
export function imagesOf(objects: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const spec = (
      o.kind === "Pod" ? o.spec : (o.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec
    ) as { containers?: { image?: string }[]; initContainers?: { image?: string }[] } | undefined;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])])
      if (c.image) out.add(c.image);
  }
  return [...out];
}

/** The pull error message containerd gives the kubelet. */
export function pullErrorMessage(image: string, r: Extract<PullResult, { ok: false }>): string {
  return r.reason === "not_found"
    ? `rpc error: code = NotFound desc = failed to pull and unpack image "${r.ref}": failed to resolve reference "${r.ref}": ${r.ref}: not found`
    : `rpc error: code = Unknown desc = failed to pull and unpack image "${r.ref}": failed to resolve reference "${r.ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
}

/** Splits the simulator's own fixture kinds (ImageRegistry) from the Kubernetes objects of a manifest stream. */
export function splitSimObjects(objects: readonly KubeObject[]): {
  kube: KubeObject[];
  registries: ImageRegistryFixture[];
} {
  const kube: KubeObject[] = [];
  const registries: ImageRegistryFixture[] = [];
  for (const o of objects) {
    if (o.apiVersion === SIM_API_VERSION) {
      const r = imageRegistrySchema.safeParse(o);
      if (!r.success)
        throw new Error(
          `${o.kind ?? "object"} of ${SIM_API_VERSION}: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`,
        );
      registries.push(r.data);
    } else kube.push(o);
  }
  return { kube, registries };
}

/** Parses a registry file: ImageRegistry documents (other kinds in it are an error). */
export function parseRegistry(text: string): ImageRegistryFixture[] {
  const { kube, registries } = splitSimObjects(parseManifests(text));
  if (kube.length)
    throw new Error(`registry: ${kube[0]!.kind} is not an ImageRegistry (apiVersion ${SIM_API_VERSION})`);
  return registries;
}

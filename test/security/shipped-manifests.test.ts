import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { policySchema } from "../../agent/policy/schema.ts";

/** The shipped in-cluster manifests: AegisOps knows who it is, protects its namespace, needs its token. */
/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field below */
const docs: any[] = parseAllDocuments(
  readFileSync(new URL("../../deploy/kubernetes/base/deployment.yaml", import.meta.url), "utf8"),
).map((d) => d.toJS());
const deployment = docs.find((d) => d.kind === "Deployment");
const container = deployment.spec.template.spec.containers[0];
const env = new Map<string, any>((container.env as any[]).map((e) => [e.name, e]));
/* eslint-enable @typescript-eslint/no-explicit-any */

describe("deploy/kubernetes/deployment.yaml", () => {
  it("gives AegisOps its pod name, namespace and node through the downward API", () => {
    expect(env.get("AEGIS_POD_NAME")?.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(env.get("AEGIS_POD_NAMESPACE")?.valueFrom).toEqual({
      fieldRef: { fieldPath: "metadata.namespace" },
    });
    expect(env.get("AEGIS_NODE_NAME")?.valueFrom).toEqual({ fieldRef: { fieldPath: "spec.nodeName" } });
  });

  it("listens beyond loopback only with a webhook token from a Secret the pod cannot start without", () => {
    expect(env.get("AEGIS_HOST")?.value).toBe("0.0.0.0");
    const ref = env.get("AEGIS_WEBHOOK_TOKEN")?.valueFrom?.secretKeyRef;
    expect(ref).toMatchObject({ name: "aegisops-secrets", key: "AEGIS_WEBHOOK_TOKEN" });
    expect(ref.optional).not.toBe(true);
    for (const from of container.envFrom ?? []) expect(from.secretRef?.optional).not.toBe(true);
  });

  it("its own namespace is protected by the policy it mounts and by the built-in default", () => {
    const ns: string = deployment.metadata.namespace;
    const cm = docs.find((d) => d.kind === "ConfigMap");
    const policy = policySchema.parse(parseAllDocuments(cm.data["policy.yaml"])[0]?.toJS() ?? {});
    expect(policy.protectedNamespaces).toContain(ns);
    expect(policySchema.parse({}).protectedNamespaces).toContain(ns);
  });
});

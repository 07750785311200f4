import { describe, expect, it } from "vitest";
import { deployment, manifests } from "../../helpers/kubeManifests.ts";
import { clusterManifests, useVirtualSim, walk } from "./helpers.ts";

// IngressClasses and the ingress controller (ingress-nginx) that serves only its own class, read with the
// real kubectl on a virtual clock.
const FIXTURE = `
${clusterManifests(2, ["app"])}---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: { ingressclass.kubernetes.io/is-default-class: "true" }
spec: { controller: k8s.io/ingress-nginx }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: traefik }
spec: { controller: traefik.io/ingress-controller }
---
${manifests(deployment("web", "app", [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }] }]), {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web-service", namespace: "app" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 80 }] },
})}`;

const { start, run, k, apply } = useVirtualSim(FIXTURE);
const ingress = (name: string, host: string, cls?: string) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name, namespace: "app" },
  spec: {
    ...(cls ? { ingressClassName: cls } : {}),
    rules: [
      {
        host,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: "web-service", port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
});
const probe = (metrics: string, host: string) =>
  new RegExp(
    `probe_http_status_code\\{[^}]*instance="http://${host.replace(/\./g, "\\.")}/"[^}]*\\} (\\d+)`,
  ).exec(metrics)?.[1];

describe("IngressClasses and the ingress controller", () => {
  it("serves only Ingresses of its own class: a class that does not exist or is another controller's gets no address and a 404", async () => {
    const s = await start();
    expect(await k("get", "ingressclass")).toMatch(/^nginx\s+k8s\.io\/ingress-nginx\s+<none>/m);
    await apply(ingress("good", "good.example.com", "nginx"));
    await apply(ingress("defaulted", "default.example.com"));
    await apply(ingress("wrong", "app.example.com", "example-ingress-class"));
    await apply(ingress("foreign", "foreign.example.com", "traefik"));
    walk(s, 20_000);
    const ings = await k("-n", "app", "get", "ingress");
    expect(ings).toMatch(/^good\s+nginx\s+good\.example\.com\s+172\.18\.255\.200\s+80/m);
    // The DefaultIngressClass admission plugin filled in the default class.
    expect(ings).toMatch(/^defaulted\s+nginx\s+default\.example\.com\s+172\.18\.255\.200\s+80/m);
    expect(ings).toMatch(/^wrong\s+example-ingress-class\s+app\.example\.com\s+80/m);
    expect(ings).toMatch(/^foreign\s+traefik\s+foreign\.example\.com\s+80/m);
    const wrong = await k("-n", "app", "describe", "ingress", "wrong");
    expect(wrong).toMatch(/Address:\s*\n/);
    expect(wrong).toMatch(/Events:\s+<none>/);
    expect(await k("-n", "app", "describe", "ingress", "good")).toMatch(
      /Sync\s+.*nginx-ingress-controller\s+Scheduled for sync/,
    );
    const metrics = await k("get", "--raw", "/metrics");
    expect(probe(metrics, "good.example.com")).toBe("200");
    expect(probe(metrics, "app.example.com")).toBe("404");
    expect(probe(metrics, "foreign.example.com")).toBe("404");
    expect(metrics).toMatch(/probe_success\{[^}]*instance="http:\/\/app\.example\.com\/"[^}]*\} 0/);
    // Fixing the class brings the address and the 200 back.
    const fix = await run([
      "-n",
      "app",
      "patch",
      "ingress",
      "wrong",
      "--type",
      "merge",
      "-p",
      '{"spec":{"ingressClassName":"nginx"}}',
    ]);
    expect(fix.code, fix.stderr).toBe(0);
    walk(s, 5000);
    expect(await k("-n", "app", "get", "ingress", "wrong")).toMatch(/172\.18\.255\.200/);
    expect(probe(await k("get", "--raw", "/metrics"), "app.example.com")).toBe("200");
  });

  it("a served Ingress whose Service has no ready endpoints answers 503", async () => {
    const s = await start();
    await apply(ingress("good", "good.example.com", "nginx"));
    walk(s, 10_000);
    await k("-n", "app", "scale", "deploy/web", "--replicas=0");
    walk(s, 10_000);
    expect(probe(await k("get", "--raw", "/metrics"), "good.example.com")).toBe("503");
  });
});

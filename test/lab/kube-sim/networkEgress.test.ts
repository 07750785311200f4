import { describe, expect, it } from "vitest";
import { clusterManifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";

// Egress NetworkPolicies, DNS included, read with the real kubectl on a virtual clock.
const FIXTURE = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  mainred/client:v2: { dependsOn: [{ service: nginx-service, onFailure: exit }] }
  nginx:stable: { port: 80 }
---
${clusterManifests(1, ["dns"])}---
apiVersion: v1
kind: Pod
metadata: { name: nginx, namespace: dns, labels: { app.kubernetes.io/name: server } }
spec:
  containers: [{ name: nginx, image: "nginx:stable", ports: [{ containerPort: 80, name: http-web-svc }] }]
---
apiVersion: v1
kind: Service
metadata: { name: nginx-service, namespace: dns }
spec:
  selector: { app.kubernetes.io/name: server }
  ports: [{ name: web, protocol: TCP, port: 80, targetPort: http-web-svc }]
`;

const CLIENT = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "client", namespace: "dns", labels: { "app.kubernetes.io/name": "client" } },
  spec: { containers: [{ name: "test-client", image: "mainred/client:v2" }] },
};
const policy = (name: string, egress: object[]) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "dns" },
  spec: { podSelector: {}, policyTypes: ["Egress"], egress },
});

const { start, k, apply } = useVirtualSim(FIXTURE);

describe("egress NetworkPolicies", () => {
  it("a default-deny egress policy makes name lookups time out; allowing DNS and the server heals it", async () => {
    const s = await start();
    await apply(policy("default-deny-egress", []));
    await apply(CLIENT);
    walk(s, 20_000);
    expect(await k("-n", "dns", "get", "pod", "client")).toMatch(/client\s+0\/1\s+(CrashLoopBackOff|Error)/);
    expect(await k("-n", "dns", "logs", "client")).toMatch(
      /cannot connect to nginx-service: dial tcp: lookup nginx-service on 10\.96\.0\.10:53: read udp 10\.244\.\d+\.\d+:\d+->10\.96\.0\.10:53: i\/o timeout/,
    );
    // DNS alone is not enough: the connection to the server is dropped too (a timeout, not a refusal).
    await apply(
      policy("allow-dns", [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [{ protocol: "UDP", port: 53 }],
        },
      ]),
    );
    walk(s, 60_000);
    expect(await k("-n", "dns", "logs", "client")).toMatch(
      /cannot connect to nginx-service: dial tcp 10\.96\.\d+\.\d+:80: i\/o timeout/,
    );
    await apply(
      policy("allow-web", [
        { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "server" } } }] },
      ]),
    );
    walk(s, 6 * 60_000);
    expect(await k("-n", "dns", "get", "pod", "client")).toMatch(/client\s+1\/1\s+Running/);
  });
});

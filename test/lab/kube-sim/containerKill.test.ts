import { describe, expect, it } from "vitest";
import { clusterManifests, deployment, manifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";

// A container killed in place (the runtime's SIGKILL, as Chaos Mesh's container-kill does), read with the
// real kubectl on a virtual clock.
const FIXTURE = manifests(
  clusterManifests(1, ["demo"]),
  deployment("geo", "demo", [{ name: "hotel-reserv-geo", image: "ghcr.io/acme/geo:1.0.0" }]),
);

const { start, k, post, podName } = useVirtualSim(FIXTURE);

describe("a container killed in place", () => {
  it("restarts in the same pod: restart count 1, last state Error with exit code 137, Ready again", async () => {
    const s = await start();
    walk(s, 5000);
    const pod = await podName("demo", "app=geo");
    const res = await post(`/sim/pods/demo/${pod}/kill`, { container: "hotel-reserv-geo" });
    expect(res.status).toBe(200);
    walk(s, 30_000);
    expect(await k("-n", "demo", "get", "pods", "-l", "app=geo")).toMatch(
      new RegExp(`${pod}\\s+1/1\\s+Running\\s+1 \\(\\d+s ago\\)`),
    );
    const describe = await k("-n", "demo", "describe", "pod", pod);
    expect(describe).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+137/);
    expect(describe).toMatch(/Restart Count:\s+1/);
    // Killing a container that does not exist is refused.
    expect((await post(`/sim/pods/demo/${pod}/kill`, { container: "nope" })).status).toBe(400);
  });
});

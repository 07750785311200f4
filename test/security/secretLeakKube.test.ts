import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useKubeHarness } from "../e2e/kubernetes/harness.ts";
import { leaksIn, plantedSecrets } from "./plantedSecrets.ts";

/*
 * The Kubernetes path: a release that crashes on start and prints secrets (one string per log line, as the
 * pod log API returns them) before its panic. The incident's evidence, as the API serves it and as the SQLite
 * files hold it, must carry the diagnosis and none of the secrets.
 */

const h = useKubeHarness();

describe("secrets in a crashing pod's log (Kubernetes simulator)", () => {
  it("reach neither the API nor the database; the panic that explains the crash does", async () => {
    const secrets = plantedSecrets();
    const sim = h.sim();
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    // The crashing release prints its configuration, secrets included, before it panics.
    const crash = sim.ctx.world.revisions.at(-1)!.behaviour.crash!;
    crash.logs.unshift(...secrets.flatMap((s) => s.lines));
    h.advance(60_000);

    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    const detail = await (await fetch(`${h.aegis.baseUrl}/api/incidents/${incident.id}`)).text();
    expect(detail).toContain("nil pointer dereference");
    const outputs: Record<string, string> = {
      "GET /api/incidents/:id": detail,
      "GET /api/incidents": await (await fetch(`${h.aegis.baseUrl}/api/incidents`)).text(),
    };
    for (const file of ["aegis.db", "aegis.db-wal"]) {
      const path = join(h.aegis.dir, file);
      if (existsSync(path)) outputs[file] = readFileSync(path).toString("latin1");
    }
    const leaks = Object.fromEntries(
      Object.entries(outputs)
        .map(([where, text]) => [where, leaksIn(text, secrets)] as const)
        .filter(([, found]) => found.length > 0),
    );
    expect(leaks).toEqual({});
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBurningCheckout, type BurningCheckout } from "../helpers/sloService.ts";

const run = promisify(execFile);
const AEGIS = new URL("../../bin/aegis.js", import.meta.url).pathname;

/** A `checkout` service burning its availability budget 20× (test/helpers/sloService.ts). */
describe("aegis slo against a real Prometheus", () => {
  let checkout: BurningCheckout;
  const dir = mkdtempSync(join(tmpdir(), "aegis-slo-"));

  beforeAll(async () => {
    checkout = await startBurningCheckout(dir);
  });
  afterAll(async () => {
    await checkout?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const aegis = (args: string[]) =>
    run(process.execPath, [AEGIS, "slo", ...args], {
      env: {
        ...process.env,
        AEGIS_DB: join(dir, "aegis.db"),
        AEGIS_POLICY: checkout.policy,
        PROMETHEUS_URL: checkout.prom.url,
      },
    });

  it("--json: burn rates per window and the budget left, a fast burn on availability only", async () => {
    const { stdout } = await aegis(["--json"]);
    const report = JSON.parse(stdout) as {
      slos: Array<{
        service: string;
        availability: { burnRates: Record<string, number>; budgetLeft: number; fastBurn: boolean };
        latency: { burnRates: Record<string, number>; fastBurn: boolean; slowBurn: boolean };
        failedHeals: { count: number; spent: boolean };
      }>;
    };
    const checkout = report.slos.find((s) => s.service === "checkout")!;
    expect(checkout.availability.burnRates["1h"]).toBeCloseTo(20, 0);
    expect(checkout.availability.burnRates["5m"]).toBeCloseTo(20, 0);
    expect(checkout.availability.fastBurn).toBe(true);
    expect(checkout.availability.budgetLeft).toBeLessThan(0);
    expect(checkout.latency.burnRates["1h"]).toBeCloseTo(0.5, 1);
    expect(checkout.latency.fastBurn).toBe(false);
    expect(checkout.latency.slowBurn).toBe(false);
    expect(checkout.failedHeals).toMatchObject({ count: 0, spent: false });
  });

  it("the table for people names the fast burn", async () => {
    const { stdout } = await aegis([]);
    expect(stdout).toMatch(/checkout\s+availability\s+99\.9 %.*FAST BURN/);
    expect(stdout).toMatch(/checkout\s+latency\s+99\.9 % < 150 ms.*ok/);
    expect(stdout).toMatch(/checkout\s+failed heals\s+< 5\/week\s+5 left/);
  });
});

import { describe, expect, it } from "vitest";
import { STEP, T0, noise, busyAfternoons, POINTS_PER_DAY } from "../helpers/series.ts";
import { StreamingDetector } from "../../detect/detector.ts";
import { PeerDetector } from "../../detect/peer.ts";
import { loadDetectorParams } from "../../detect/versions.ts";

const params = loadDetectorParams();

function scoreAll(values: number[], step = STEP): number[] {
  const d = new StreamingDetector(params);
  return values.map((v, i) => d.update(T0 + i * step, v));
}

describe("StreamingDetector", () => {
  it("is causal: a point's score does not change when later points arrive", () => {
    const n = noise(1);
    const values = Array.from({ length: 3000 }, (_, i) => 50 + 5 * n() + (i > 1500 ? 40 : 0));
    const full = scoreAll(values);
    const prefix = scoreAll(values.slice(0, 1600));
    expect(full.slice(0, 1600)).toEqual(prefix);
  });

  it("keeps every score in [0, 1] and stays quiet on stationary noise", () => {
    const n = noise(2);
    const scores = scoreAll(Array.from({ length: 5000 }, () => 100 + 3 * n()));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const alarms = scores.filter((s) => s >= params.threshold).length;
    expect(alarms).toBeLessThanOrEqual(5); // ≤ 0.1 % of points
  });

  it("raises a level shift once, within a few points", () => {
    const n = noise(3);
    const values = Array.from({ length: 2000 }, (_, i) => 100 + 3 * n() + (i >= 1200 ? 30 : 0));
    const scores = scoreAll(values);
    const alarms = scores.map((s, i) => (s >= params.threshold ? i : -1)).filter((i) => i >= 0);
    expect(alarms.filter((i) => i >= 1200 && i < 1205)).toHaveLength(1);
    expect(alarms.filter((i) => i >= 1205 && i < 1300)).toHaveLength(0); // one report per event
  });

  it("flags latency 3σ above normal for this hour even when it is normal for another hour (grey failure)", () => {
    const n = noise(4);
    // Latency is high every day 12:00–18:00 (busy hours) and low at night.
    const perDay = POINTS_PER_DAY;
    const values = busyAfternoons(n, 10);
    const quiet = scoreAll(values);
    expect(quiet.slice(3 * perDay).filter((s) => s >= params.threshold)).toHaveLength(0);
    // On day 9 at 03:00 the night latency jumps to the busy-hour level: unusual for this hour.
    const at = 9 * perDay + 36;
    const faulty = values.map((v, i) => (i >= at && i < at + 24 ? 200 + 4 * n() : v));
    const scores = scoreAll(faulty);
    expect(scores.slice(at, at + 3).some((s) => s >= params.threshold)).toBe(true);
    const detector = new StreamingDetector(params);
    faulty.slice(0, at + 1).forEach((v, i) => detector.update(T0 + i * STEP, v));
    expect(detector.contributions().seasonal).toBeGreaterThan(1);
  });

  it("holds an event open after its alarm: a burst of spikes alarms once, a later fault alarms again", () => {
    const n = noise(6);
    const values = Array.from({ length: 3000 }, () => 100 + 3 * n());
    // Five spikes 40 points apart (an unsettled series): one event, one alarm.
    for (const i of [1500, 1540, 1580, 1620, 1660]) values[i] = 160;
    // A level shift much later: a new event.
    for (let i = 2500; i < 3000; i++) values[i]! += 40;
    const scores = scoreAll(values);
    const alarms = scores.map((s, i) => (s >= params.threshold ? i : -1)).filter((i) => i >= 0);
    expect(alarms.filter((i) => i >= 1500 && i < 1800)).toEqual([1500]);
    expect(alarms.filter((i) => i >= 2500 && i < 2505)).toHaveLength(1);
  });

  it("rolls back: the previous parameter version still loads and differs from the default", () => {
    const v1 = loadDetectorParams("v1");
    expect(v1.holdPoints).toBe(0);
    expect(params.holdPoints).toBeGreaterThan(0);
    expect(() => loadDetectorParams("v99")).toThrow(/not found/);
  });

  it("ignores values that are not numbers instead of poisoning its statistics", () => {
    const n = noise(5);
    const values = Array.from({ length: 1000 }, () => 10 + n());
    values[600] = Number.NaN;
    const scores = scoreAll(values);
    expect(scores[600]).toBe(0);
    expect(scores.slice(601).every((s) => s < params.threshold)).toBe(true);
  });
});

describe("PeerDetector", () => {
  it("flags the one replica out of line with its siblings, after it persists", () => {
    const peers = new PeerDetector();
    const n = noise(6);
    let last: ReturnType<PeerDetector["update"]> = [];
    for (let i = 0; i < 20; i++) {
      last = peers.update({
        a: 100 + 5 * n(),
        b: 100 + 5 * n(),
        c: 100 + 5 * n(),
        d: 100 + 5 * n(),
        e: 100 + 5 * n(),
      });
      expect(last.some((p) => p.outlier)).toBe(false);
    }
    const first = peers.update({ a: 100, b: 102, c: 98, d: 101, e: 130 });
    expect(first.find((p) => p.replica === "e")!.outlier).toBe(false); // one odd sample is not enough
    for (let i = 0; i < 5; i++) last = peers.update({ a: 100, b: 102, c: 98, d: 101, e: 130 });
    expect(last.filter((p) => p.outlier).map((p) => p.replica)).toEqual(["e"]);
    expect(last.find((p) => p.replica === "e")!.z).toBeGreaterThan(0);
  });

  it("says nothing with fewer replicas than it needs", () => {
    expect(new PeerDetector().update({ a: 1, b: 100 })).toEqual([]);
  });
});

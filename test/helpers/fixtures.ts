import { readFileSync } from "node:fs";
import type { DockerObservations } from "../../agent/platforms/docker/signals.ts";

/** Observations captured from real containers of the lab target image (test/fixtures/docker/capture.ts). */
export function captured(kind: string): DockerObservations {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/docker/${kind}.json`, import.meta.url), "utf8"),
  ) as DockerObservations;
}

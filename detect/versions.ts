import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AegisError } from "../core/errors.ts";
import { detectorParamsSchema, type DetectorParams } from "./params.ts";

const VERSIONS_DIR = fileURLToPath(new URL("./versions/", import.meta.url));

const versionFileSchema = z.object({
  version: z.string(),
  note: z.string().optional(),
  params: detectorParamsSchema,
});

/** The detector version used when none is named: the newest file in detect/versions. */
export const DEFAULT_DETECTOR_VERSION = "v5";

/** Versions on disk (`detect/versions/<version>.json`), oldest first. */
export function listDetectorVersions(): string[] {
  return readdirSync(VERSIONS_DIR)
    .filter((f) => /^v\d+\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/**
 * Detector parameters of one version. Parameters are versioned like prompts: a new tuning is a new file,
 * and rolling back is naming the older version.
 */
export function loadDetectorParams(version: string = DEFAULT_DETECTOR_VERSION): DetectorParams {
  if (!/^v\d+$/.test(version) || !listDetectorVersions().includes(version)) {
    throw new AegisError(
      "config_invalid",
      `detector version "${version}" not found (known: ${listDetectorVersions().join(", ")})`,
    );
  }
  const parsed = versionFileSchema.safeParse(
    JSON.parse(readFileSync(`${VERSIONS_DIR}${version}.json`, "utf8")),
  );
  if (!parsed.success) {
    throw new AegisError("config_invalid", `detect/versions/${version}.json: ${parsed.error.message}`);
  }
  return parsed.data.params;
}

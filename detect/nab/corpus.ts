import { readFile } from "node:fs/promises";
import { join, normalize, isAbsolute } from "node:path";
import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { parseSeriesCsv, parseTimestamp, type Point } from "../csv.ts";

const windowsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/** One file of a NAB-style corpus with its labelled windows as inclusive row ranges. */
export interface CorpusFile {
  name: string;
  points: Point[];
  windows: Array<[number, number]>;
}

/** Rows of a window given as timestamps: the first row at or after start to the last at or before end. */
export function windowRows(points: Point[], start: number, end: number): [number, number] | undefined {
  let l = -1;
  let r = -1;
  for (let i = 0; i < points.length; i++) {
    const t = points[i]!.t;
    if (l < 0 && t >= start) l = i;
    if (t <= end) r = i;
  }
  return l >= 0 && r >= l ? [l, r] : undefined;
}

/** Read the files a windows JSON names (`{"<category>/<name>.csv": [[start, end], ...]}`) from `dir`. */
export async function loadCorpus(dir: string, windowsFile: string): Promise<CorpusFile[]> {
  let parsed: z.infer<typeof windowsSchema>;
  try {
    parsed = windowsSchema.parse(JSON.parse(await readFile(windowsFile, "utf8")));
  } catch (err) {
    throw new AegisError(
      "input_invalid",
      `${windowsFile}: not a windows file ({"file.csv": [[start, end]]})`,
      {
        cause: err,
      },
    );
  }
  const files: CorpusFile[] = [];
  for (const name of Object.keys(parsed).sort()) {
    const rel = normalize(name);
    if (isAbsolute(rel) || rel.startsWith("..")) {
      throw new AegisError("input_invalid", `${windowsFile}: file name "${name}" leaves the corpus folder`);
    }
    const path = join(dir, rel);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw new AegisError(
        "input_invalid",
        `${path}: cannot read a file the windows file names (is --nab the folder the names are relative to?)`,
        { cause: err },
      );
    }
    const points = parseSeriesCsv(text, path);
    const windows: Array<[number, number]> = [];
    for (const [start, end] of parsed[name]!) {
      const rows = windowRows(points, parseTimestamp(start), parseTimestamp(end));
      if (rows !== undefined) windows.push(rows);
    }
    files.push({ name, points, windows });
  }
  return files;
}

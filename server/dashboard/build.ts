import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { DEFAULT_ASSETS_DIR } from "./router.ts";

/** The page's source: Preact + htm components and a stylesheet, bundled by esbuild. */
const ENTRY = new URL("./web/main.ts", import.meta.url).pathname;

/**
 * Bundle the dashboard into `outdir` (`app.js`, `app.css`): one minified ES module with Preact, htm and the
 * Chart.js parts in use, no CDN. Returns the bytes written per file.
 */
export async function buildDashboard(outdir = DEFAULT_ASSETS_DIR): Promise<Record<string, number>> {
  const result = await build({
    entryPoints: { app: ENTRY },
    outdir,
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: false,
    target: ["chrome110", "firefox110", "safari16"],
    metafile: true,
    logLevel: "warning",
    legalComments: "linked",
  });
  return Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, out]) => [file.split("/").pop()!, out.bytes]),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = await buildDashboard();
  for (const [file, bytes] of Object.entries(sizes))
    console.log(`dashboard: ${file} ${(bytes / 1024).toFixed(1)} KiB`);
}

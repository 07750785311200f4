/** Byte counts and durations written for people; one wording for the watcher's messages and the dashboard. */

/** Bytes in binary units with one decimal below 100 (`-1.5 MiB`, `512 B`, `120 GiB`). */
export function formatBytes(v: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let x = Math.abs(v);
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${x.toFixed(x >= 100 ? 0 : 1)} ${units[i]}`;
}

/** Seconds: two decimals from one second up, whole milliseconds below. */
export function formatSeconds(v: number): string {
  return v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(0)} ms`;
}

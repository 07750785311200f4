const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * A Kubernetes resource quantity ("256Mi", "1.5G", "250m", "12345678n", "1e3") as a plain number (bytes, or
 * cores for CPU); undefined when it is not one.
 */
export function parseQuantity(q: string | undefined | null): number | undefined {
  if (!q) return undefined;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit];
  return Number.isFinite(n) && factor !== undefined ? n * factor : undefined;
}

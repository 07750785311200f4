import { ApiError } from "../status.ts";

interface Op {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(p: string): string[] {
  if (p === "") return [];
  if (!p.startsWith("/")) throw new ApiError("BadRequest", `invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

type Container = Record<string, unknown> | unknown[];

function parentOf(doc: unknown, segs: string[], path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (cur && typeof cur === "object") cur = (cur as Record<string, unknown>)[s];
    else cur = undefined;
    if (cur === undefined) throw new ApiError("Invalid", `jsonpatch: path "${path}" does not exist`);
  }
  if (!cur || typeof cur !== "object")
    throw new ApiError("Invalid", `jsonpatch: path "${path}" does not exist`);
  return { parent: cur as Container, key: segs[segs.length - 1]! };
}

function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const s of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (cur && typeof cur === "object") cur = (cur as Record<string, unknown>)[s];
    else return undefined;
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) return parent.splice(Number(key), 1)[0];
  if (!(key in parent))
    throw new ApiError(
      "Invalid",
      `jsonpatch remove operation does not apply: doc is missing path: "${path}"`,
    );
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const segs = parsePointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent))
      throw new ApiError(
        "Invalid",
        `jsonpatch replace operation does not apply: doc is missing key: "${path}"`,
      );
    parent[key] = value;
  }
  return doc;
}

/** JSON patch (RFC 6902) over a copy of `doc`. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiError("BadRequest", "json patch body must be an array of operations");
  let out = JSON.parse(JSON.stringify(doc)) as unknown;
  for (const raw of ops as Op[]) {
    const clone = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;
    switch (raw.op) {
      case "add":
        out = addAt(out, raw.path, clone(raw.value), false);
        break;
      case "replace":
        out = addAt(out, raw.path, clone(raw.value), true);
        break;
      case "remove":
        removeAt(out, raw.path);
        break;
      case "move": {
        const v = removeAt(out, raw.from ?? "");
        out = addAt(out, raw.path, v, false);
        break;
      }
      case "copy":
        out = addAt(out, raw.path, clone(getAt(out, raw.from ?? "")), false);
        break;
      case "test":
        if (JSON.stringify(getAt(out, raw.path)) !== JSON.stringify(raw.value))
          throw new ApiError("Invalid", `jsonpatch test operation failed at "${raw.path}"`);
        break;
      default:
        throw new ApiError(
          "BadRequest",
          `unknown json patch operation "${String((raw as { op: unknown }).op)}"`,
        );
    }
  }
  return out;
}

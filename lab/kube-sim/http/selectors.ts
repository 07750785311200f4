import type { KubeObject, LabelSelector } from "../types.ts";
import { ApiError } from "./status.ts";

/** A parsed selector: every requirement must hold. */
export type Selector = (obj: KubeObject) => boolean;

interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

function parseRequirements(s: string, kind: "label" | "field"): Requirement[] {
  return splitTopLevel(s).map((part) => {
    let m = /^(\S+?)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (m) return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", values: [m[3]!.trim()] };
    if (kind === "label") {
      m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
      if (m) {
        const values = m[3]!.split(",").map((v) => v.trim());
        return { key: m[1]!, op: m[2] as "in" | "notin", values };
      }
      m = /^(!?)([A-Za-z0-9_./-]+)$/.exec(part);
      if (m) return { key: m[2]!, op: m[1] ? "!exists" : "exists", values: [] };
    }
    throw new ApiError("BadRequest", `unable to parse requirement: ${kind} selector "${part}"`);
  });
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case "=":
      return value === req.values[0];
    case "!=":
      return value !== req.values[0];
    case "in":
      return value !== undefined && req.values.includes(value);
    case "notin":
      return value === undefined || !req.values.includes(value);
    case "exists":
      return value !== undefined;
    case "!exists":
      return value === undefined;
  }
}

/** Parses a `labelSelector` query value. */
export function parseLabelSelector(s: string | null | undefined): Selector {
  if (!s) return () => true;
  const reqs = parseRequirements(s, "label");
  return (o) => reqs.every((r) => matches(r, o.metadata.labels?.[r.key]));
}

/** Reads a dotted field path (`spec.nodeName`, `involvedObject.uid`) as a string, as field selectors compare. */
export function fieldValue(o: KubeObject, path: string): string | undefined {
  let cur: unknown = o;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return path === "spec.nodeName" ? "" : undefined;
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}

/** Parses a `fieldSelector` query value. */
export function parseFieldSelector(s: string | null | undefined): Selector {
  if (!s) return () => true;
  const reqs = parseRequirements(s, "field");
  return (o) => reqs.every((r) => matches(r, fieldValue(o, r.key) ?? ""));
}

/** True when the labels satisfy a structured LabelSelector (matchLabels + matchExpressions). */
export function selectorMatches(
  sel: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const v = l[e.key];
    const vals = e.values ?? [];
    if (e.operator === "In" && (v === undefined || !vals.includes(v))) return false;
    if (e.operator === "NotIn" && v !== undefined && vals.includes(v)) return false;
    if (e.operator === "Exists" && v === undefined) return false;
    if (e.operator === "DoesNotExist" && v !== undefined) return false;
  }
  return true;
}

/** Renders a LabelSelector as the string form (`app=web,tier in (a,b)`), as Scale.status.selector carries it. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === "In") parts.push(`${e.key} in (${(e.values ?? []).join(",")})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${(e.values ?? []).join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

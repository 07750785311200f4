/** Kubernetes `Status` error bodies, thrown as ApiError and rendered by the router. */

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "MethodNotAllowed"
  | "UnsupportedMediaType"
  | "TooManyRequests"
  | "InternalError"
  | "ServiceUnavailable";

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  MethodNotAllowed: 405,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** An error the API answers with a `Status` body and the reason's HTTP code. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details: { name?: string; group?: string; kind?: string; causes?: unknown[] } | undefined;

  constructor(reason: StatusReason, message: string, details?: ApiError["details"]) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    this.code = CODES[reason];
    this.details = details;
  }

  /** The `Status` object kubectl and client-node parse. */
  toStatus(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `<plural>.<group> "name" not found`, exactly as the API server words it. */
export function notFound(plural: string, group: string, name: string): ApiError {
  const qualified = group ? `${plural}.${group}` : plural;
  return new ApiError("NotFound", `${qualified} "${name}" not found`, { name, group, kind: plural });
}

/** `<plural>.<group> "name" already exists`. */
export function alreadyExists(plural: string, group: string, name: string): ApiError {
  const qualified = group ? `${plural}.${group}` : plural;
  return new ApiError("AlreadyExists", `${qualified} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  });
}

/** A Success status, as DELETE of a collection or some subresources return. */
export function successStatus(details?: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    ...(details ? { details } : {}),
  };
}

import { ApiException, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { apiErrorMapper, type ToAegisError } from "../apiErrors.ts";

/** client-node's patch calls default to JSON patch; this makes them a merge patch. */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The HTTP status of an API server error, if it is one. */
export function kubeStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? (err.code as number) : undefined;
}

/** The API server's own `Status.message` rather than client-node's wrapper text. */
function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    if (typeof body === "string") {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === "string") return parsed.message;
      } catch {
        return body.slice(0, 300);
      }
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Turn an API error into an AegisError: 404 is target_not_found, anything else `code` with the server's message. */
export const toAegisError: ToAegisError = apiErrorMapper({
  status: kubeStatus,
  message: apiMessage,
  notFound: (object, err) => `${object} not found: ${apiMessage(err)}`,
});

import { describe, expect, it } from "vitest";
import { LlmPlannerError } from "../../agent/planners/llm/llmPlanner.ts";
import { AegisError, hasCode } from "../../core/errors.ts";
import { classifyError, HttpError } from "../../server/errorHandler.ts";

describe("one error tree", () => {
  it("the planner's and the HTTP boundary's errors are AegisErrors, told apart by code", () => {
    const llm = new LlmPlannerError("llm_budget_exhausted", "spent");
    const http = new HttpError(429, "too_many_logins", "wait");
    for (const e of [llm, http]) expect(e).toBeInstanceOf(AegisError);
    expect(hasCode(llm, "llm_budget_exhausted")).toBe(true);
    expect(hasCode(http, "too_many_logins")).toBe(true);
    expect(llm.name).toBe("LlmPlannerError");
  });

  it("an HttpError answers with its own status and code; a domain error with its code's status", () => {
    expect(classifyError(new HttpError(429, "too_many_logins", "try again in 3 s"))).toEqual({
      status: 429,
      code: "too_many_logins",
      message: "try again in 3 s",
    });
    expect(classifyError(new AegisError("queue_full", "busy"))).toMatchObject({
      status: 503,
      code: "queue_full",
    });
  });
});

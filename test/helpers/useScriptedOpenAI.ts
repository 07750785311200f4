import { afterAll, afterEach, beforeAll } from "vitest";
import { startScriptedOpenAI, type ScriptedOpenAI } from "./scriptedOpenAI.ts";

/**
 * The scripted OpenAI-compatible server for the calling test file: started before its tests, closed after,
 * and after each test checked for unconsumed steps (or unexpected requests) and reset. The returned object
 * stands for the server once it has started.
 */
export function useScriptedOpenAI(): ScriptedOpenAI {
  let current: ScriptedOpenAI | undefined;
  beforeAll(async () => {
    current = await startScriptedOpenAI();
  });
  afterEach(() => {
    try {
      current?.assertDone();
    } finally {
      current?.reset();
    }
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as ScriptedOpenAI, {
    get: (_, key: keyof ScriptedOpenAI) => {
      if (!current) throw new Error("the scripted OpenAI server has not started (use it inside a test)");
      const value = current[key];
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
}

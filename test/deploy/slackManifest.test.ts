import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SLACK_EVENTS_PATH } from "../../slack/app.ts";

const manifest = parse(
  readFileSync(new URL("../../deploy/slack/manifest.yaml", import.meta.url), "utf8"),
) as {
  features: { slash_commands: Array<{ command: string; url: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string } };
};

describe("deploy/slack/manifest.yaml", () => {
  it("points the slash command and the buttons at the path Bolt is mounted on", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(["/aegis"]);
    expect(new URL(manifest.features.slash_commands[0]!.url).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(SLACK_EVENTS_PATH);
  });

  it("asks for the scopes of every Web API method AegisOps calls, and no more", () => {
    // chat.postMessage / chat.update / chat.postEphemeral, /aegis, usergroups.users.list
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ["chat:write", "chat:write.public", "commands", "usergroups:read"].sort(),
    );
  });
});

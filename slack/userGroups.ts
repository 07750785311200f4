import type { webApi } from "@slack/bolt";

/** How long a user group's member list is trusted before it is read again. */
const TTL_MS = 60_000;

/** Members of a Slack user group (usergroups.users.list, scope usergroups:read), cached for a minute. */
export function userGroupMembers(client: webApi.WebClient, now: () => number = Date.now) {
  const cache = new Map<string, { at: number; users: string[] }>();
  return async (groupId: string): Promise<string[]> => {
    const hit = cache.get(groupId);
    if (hit && now() - hit.at < TTL_MS) return hit.users;
    const res = await client.usergroups.users.list({ usergroup: groupId });
    const users = res.users ?? [];
    cache.set(groupId, { at: now(), users });
    return users;
  };
}

import type { IncomingMessage } from "node:http";

/** The header that carries the client's address to the agent process (trusted on its private socket only). */
export const PEER_ADDRESS_HEADER = "x-aegis-peer-address";

/**
 * The client's address. Behind `aegis serve`'s front the request reaches the agent process on a Unix socket in
 * a private directory, which only the front (same user) can connect to: there the front's header names the
 * client. On TCP the socket's own peer address, always (a header from the network is never trusted).
 */
export function clientAddress(req: IncomingMessage): string {
  const remote = req.socket.remoteAddress;
  if (remote !== undefined) return remote;
  const forwarded = req.headers[PEER_ADDRESS_HEADER];
  return typeof forwarded === "string" && forwarded !== "" ? forwarded : "unknown";
}

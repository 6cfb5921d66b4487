import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, SluiceError } from "../api/index.ts";
import type { RestAuth } from "../config/worker-config.ts";
import { sendError } from "./errors.ts";

export type { RestAuth };

/** Routes anyone may call: load balancers and orchestrators probe health without credentials. */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set(["/health"]);

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function credentialsMatch(auth: Exclude<RestAuth, { type: "none" }>, header: string | undefined): boolean {
  if (header === undefined) return false;
  const space = header.indexOf(" ");
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (auth.type === "bearer") return scheme === "bearer" && sameSecret(value, auth.token);
  if (scheme !== "basic") return false;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  // Both compared, always, so that the time taken does not tell which one was wrong.
  const userMatches = sameSecret(decoded.slice(0, colon), auth.username);
  const passwordMatches = sameSecret(decoded.slice(colon + 1), auth.password);
  return userMatches && passwordMatches;
}

/** An onRequest hook that answers 401 with a WWW-Authenticate challenge unless the request may pass. */
export function authHook(auth: RestAuth) {
  const challenge =
    auth.type === "bearer" ? 'Bearer realm="sluice"' : 'Basic realm="sluice", charset="UTF-8"';
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (auth.type === "none") return;
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return;
    if (credentialsMatch(auth, request.headers.authorization)) return;
    reply.header("www-authenticate", challenge);
    const message =
      request.headers.authorization === undefined ? "Authentication required" : "Invalid credentials";
    return sendError(reply, new SluiceError(ErrorCode.UNAUTHORIZED, message));
  };
}

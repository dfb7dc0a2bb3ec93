// @vitest-environment node
/**
 * The session against a real HTTP server on 127.0.0.1 that plays the API's auth rules:
 * access tokens expire (401), `/auth/refresh` rotates the refresh token and refuses a used one.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ACTIVE_OU_KEY, AuthSession, REFRESH_TOKEN_KEY } from "./session";

interface FakeApi {
  baseUrl: string;
  refreshCalls: number;
  requests: { path: string; authorization: string | undefined; ouId: string | undefined; body: string }[];
  validAccess: Set<string>;
  validRefresh: Set<string>;
  /** Answer /auth/refresh with this status instead of rotating. */
  refuseRefreshWith: number | null;
  server: Server;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => resolve(body));
  });
}

async function startFakeApi(): Promise<FakeApi> {
  const api = { refreshCalls: 0, requests: [], validAccess: new Set<string>(), validRefresh: new Set(["refresh-0"]), refuseRefreshWith: null } as unknown as FakeApi;
  let issued = 0;
  api.server = createServer(async (request, response) => {
    const body = await readBody(request);
    const json = (status: number, data: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(data));
    };
    if (request.url === "/api/v1/auth/refresh") {
      api.refreshCalls += 1;
      // Slow enough that concurrent 401s pile up behind one refresh.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { refresh } = JSON.parse(body) as { refresh: string };
      if (api.refuseRefreshWith) return json(api.refuseRefreshWith, { status: api.refuseRefreshWith, error: "Token is blacklisted" });
      if (!api.validRefresh.delete(refresh)) return json(401, { status: 401, error: "Token is blacklisted" });
      issued += 1;
      api.validAccess.add(`access-${issued}`);
      api.validRefresh.add(`refresh-${issued}`);
      return json(200, { access: `access-${issued}`, refresh: `refresh-${issued}` });
    }
    const authorization = request.headers.authorization;
    api.requests.push({ path: request.url ?? "", authorization, ouId: request.headers["x-ou-id"] as string | undefined, body });
    if (!authorization || !api.validAccess.has(authorization.replace("Bearer ", ""))) {
      return json(401, { status: 401, error: "Given token not valid for any token type" });
    }
    return json(200, { ok: true, echo: body });
  });
  await new Promise<void>((resolve) => api.server.listen(0, "127.0.0.1", resolve));
  api.baseUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe("AuthSession", () => {
  let api: FakeApi;
  let storage: ReturnType<typeof memoryStorage>;
  let session: AuthSession;

  beforeEach(async () => {
    api = await startFakeApi();
    storage = memoryStorage({ [REFRESH_TOKEN_KEY]: "refresh-0", [ACTIVE_OU_KEY]: "ou_1" });
    session = new AuthSession({ baseUrl: api.baseUrl, storage });
  });
  afterEach(() => new Promise<void>((resolve) => api.server.close(() => resolve())));

  const get = (path: string) => session.fetch(new Request(`${api.baseUrl}${path}`));

  it("refreshes once for many requests that fail together, and retries each once", async () => {
    // A page reload: signed in (refresh token kept), no access token in memory yet.
    const responses = await Promise.all([get("/a"), get("/b"), get("/c")]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(api.refreshCalls).toBe(1);
    // The rotated refresh token replaces the used one.
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");

    // The access token expires: every request that meets the 401 shares one refresh.
    api.validAccess.clear();
    const again = await Promise.all([get("/a"), get("/b"), get("/c")]);
    expect(again.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(api.refreshCalls).toBe(2);
    const retried = api.requests.slice(-3);
    expect(retried.every((request) => request.authorization === "Bearer access-2")).toBe(true);
    expect(retried.every((request) => request.ouId === "ou_1")).toBe(true);
  });

  it("retries a request only once, with its body", async () => {
    await get("/warm-up");
    api.validAccess.clear();
    const originalValid = api.validAccess;
    // Tokens the refresh hands out are refused too: the retry fails and is not retried again.
    api.validAccess = { has: () => false, add: () => originalValid, clear: () => undefined } as unknown as Set<string>;
    const before = api.requests.length;
    const response = await session.fetch(new Request(`${api.baseUrl}/save`, { method: "POST", body: '{"name":"x"}' }));
    expect(response.status).toBe(401);
    const attempts = api.requests.slice(before);
    expect(attempts.map((request) => request.body)).toEqual(['{"name":"x"}', '{"name":"x"}']);
    expect(session.status).toBe("signedIn");
  });

  it("signs out when the refresh is refused", async () => {
    await get("/warm-up");
    api.validAccess.clear();
    api.refuseRefreshWith = 401;
    let notified = 0;
    session.subscribe(() => (notified += 1));
    const response = await get("/a");
    expect(response.status).toBe(401);
    expect(session.status).toBe("signedOut");
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    expect(storage.getItem(ACTIVE_OU_KEY)).toBeNull();
    expect(notified).toBe(1);
    await expect(session.freshAccessToken()).rejects.toThrow(/sign in again/);
  });

  it("keeps the session when the refresh cannot reach the server", async () => {
    const offline = new AuthSession({ baseUrl: "http://127.0.0.1:9", storage });
    await expect(offline.refresh()).rejects.toThrow();
    expect(offline.status).toBe("signedIn");
  });
});

/**
 * The signed-in member's credentials and active OU, and a `fetch` that uses them.
 *
 * - The access token lives in memory only: a script that reads storage cannot take it.
 * - The refresh token lives in sessionStorage, so a reload keeps the member signed in while
 *   the tab is open, and closing the tab ends the session. It is per tab on purpose: the API
 *   rotates refresh tokens and refuses a used one, so tabs sharing one (localStorage) would
 *   race and sign each other out. The CSP (no inline or foreign scripts) guards it from XSS.
 * - The active OU id is kept beside it and sent as `X-OU-ID` (it wins over the `activeOu`
 *   cookie, so two tabs may work in two OUs).
 * - A 401 triggers one refresh, shared by every request that failed meanwhile (single
 *   flight), and each of them is retried once. A refused refresh signs the member out.
 */

import { toApiError } from "./errors";

export const REFRESH_TOKEN_KEY = "leadvibe.refresh";
export const ACTIVE_OU_KEY = "leadvibe.activeOu";
const LOGIN_PATH = "/api/v1/auth/login";
const REFRESH_PATH = "/api/v1/auth/refresh";
/** Refresh an access token this long before it expires, for callers that cannot retry (SSE). */
const EXPIRY_MARGIN_MS = 30_000;

export type SessionStatus = "signedOut" | "signedIn";

export interface SessionOptions {
  baseUrl: string;
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  fetch?: typeof globalThis.fetch;
}

interface TokenPair {
  access: string;
  refresh?: string;
}

export class SessionExpiredError extends Error {
  constructor() {
    super("Your session has ended. Please sign in again.");
    this.name = "SessionExpiredError";
  }
}

function accessTokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

export class AuthSession {
  private accessToken: string | null = null;
  private refreshInFlight: Promise<string> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly baseUrl: string;
  private readonly storage: SessionOptions["storage"];
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor({ baseUrl, storage, fetch }: SessionOptions) {
    this.baseUrl = baseUrl;
    this.storage = storage;
    this.fetchImpl = fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Signed in as long as a refresh token is held; the access token follows on demand. */
  get status(): SessionStatus {
    return this.storage.getItem(REFRESH_TOKEN_KEY) ? "signedIn" : "signedOut";
  }

  get activeOuId(): string | null {
    return this.storage.getItem(ACTIVE_OU_KEY);
  }

  setActiveOuId(ouId: string): void {
    this.storage.setItem(ACTIVE_OU_KEY, ouId);
    this.emit();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getStatus = (): SessionStatus => this.status;

  async signIn({ email, password }: { email: string; password: string }): Promise<void> {
    const response = await this.post(LOGIN_PATH, { email, password });
    if (!response.ok) {
      throw toApiError(await response.json().catch(() => null), response.status);
    }
    this.store((await response.json()) as TokenPair);
  }

  signOut = (): void => {
    this.accessToken = null;
    this.storage.removeItem(REFRESH_TOKEN_KEY);
    this.storage.removeItem(ACTIVE_OU_KEY);
    this.emit();
  };

  /** A new access token; concurrent callers share one request. */
  refresh(): Promise<string> {
    this.refreshInFlight ??= this.requestRefresh().finally(() => {
      this.refreshInFlight = null;
    });
    return this.refreshInFlight;
  }

  /** An access token valid for a while yet: for EventSource, which cannot retry on 401. */
  async freshAccessToken(): Promise<string> {
    const expiry = this.accessToken ? accessTokenExpiry(this.accessToken) : null;
    if (this.accessToken && expiry !== null && expiry - Date.now() > EXPIRY_MARGIN_MS) {
      return this.accessToken;
    }
    return this.refresh();
  }

  /** `fetch` for the API client: credentials and active OU on, one refresh and retry on 401. */
  fetch = async (request: Request): Promise<Response> => {
    const retry = request.clone();
    if (!this.accessToken && this.status === "signedIn") await this.refresh().catch(() => null);
    const usedToken = this.accessToken;
    const response = await this.fetchImpl(this.authorized(request));
    if (response.status !== 401 || this.status === "signedOut") return response;
    try {
      // Another request may have refreshed meanwhile: then its token is used, not a new one.
      if (this.accessToken === usedToken) await this.refresh();
    } catch {
      return response;
    }
    return this.fetchImpl(this.authorized(retry));
  };

  private authorized(request: Request): Request {
    if (this.accessToken) request.headers.set("Authorization", `Bearer ${this.accessToken}`);
    const ouId = this.activeOuId;
    if (ouId && !request.headers.has("X-OU-ID")) request.headers.set("X-OU-ID", ouId);
    return request;
  }

  private async requestRefresh(): Promise<string> {
    const refresh = this.storage.getItem(REFRESH_TOKEN_KEY);
    if (!refresh) throw new SessionExpiredError();
    const response = await this.post(REFRESH_PATH, { refresh }).catch(() => null);
    if (!response?.ok) {
      // A network failure keeps the session for a later try; a refusal ends it.
      if (response) this.signOut();
      throw new SessionExpiredError();
    }
    return this.store((await response.json()) as TokenPair);
  }

  private store(tokens: TokenPair): string {
    const wasSignedIn = this.status === "signedIn";
    this.accessToken = tokens.access;
    if (tokens.refresh) this.storage.setItem(REFRESH_TOKEN_KEY, tokens.refresh);
    if (!wasSignedIn) this.emit();
    return tokens.access;
  }

  private post(path: string, body: unknown): Promise<Response> {
    return this.fetchImpl(`${this.baseUrl}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  }

  private emit(): void {
    this.listeners.forEach((listener) => listener());
  }
}

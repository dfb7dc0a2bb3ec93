/** The app's one API client, typed from the OpenAPI schema (`npm run gen:api`). */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { AuthSession } from "./session";

export const session = new AuthSession({ baseUrl: "", storage: window.sessionStorage });

export const api = createClient<paths>({ baseUrl: "", fetch: session.fetch });

export type { paths };

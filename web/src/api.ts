// Fetch helpers for the server's /api/v1. Every failure becomes an ApiError carrying the
// server's JSON error message ({"code":…,"error":…}), so views show what the server said.
// A bearer token (for servers started with --tokens-file) is kept in localStorage.

import { h } from "./dom";

const TOKEN_KEY = "kprof.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// A 4xx about the request itself (a bad selector, an unknown type, a time range the
// server cannot read): the view keeps its form so the user can correct it.
export function isInputError(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 &&
    error.status !== 401 && error.status !== 403 && error.status !== 404;
}

// The box an error is shown in: "Error (HTTP 400): what the server said". Views put it
// under their form for input errors; the app shell shows it in place of a view.
export function errorNotice(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status ? ` (HTTP ${error.status})` : "";
  return h("div", { class: "error", role: "alert" }, `Error${status}: ${message}`);
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

// GET `url` with the bearer token; a response that is not 2xx becomes an ApiError with
// the server's message. The body is left for the caller (text, JSON or a Blob).
export async function fetchOk(url: string): Promise<Response> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${(e as Error).message}`);
  }
  if (!response.ok) throw new ApiError(response.status, errorMessage(response, await response.text()));
  return response;
}

// GET `path` (with `params` as its query string) and return the response body as text.
export async function getText(path: string, params: Record<string, string> = {}): Promise<string> {
  const query = new URLSearchParams(params).toString();
  return (await fetchOk(query ? `${path}?${query}` : path)).text();
}

export async function getJson<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  return JSON.parse(await getText(path, params)) as T;
}

function errorMessage(response: Response, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall through to the status line.
  }
  return `${response.status} ${response.statusText}`;
}

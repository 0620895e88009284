// Fetch helpers for the server's /api/v1. Every failure becomes an ApiError carrying the
// server's JSON error message ({"code":…,"error":…}), so views show what the server said.
// A bearer token (for servers started with --tokens-file) is kept in localStorage.

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

// The error box a view shows under its form.
export function inputErrorBox(error: ApiError): HTMLElement {
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  box.textContent = `Error (HTTP ${error.status}): ${error.message}`;
  return box;
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

// GET `path` (with `params` as its query string) and return the response body as text.
export async function getText(path: string, params: Record<string, string> = {}): Promise<string> {
  const query = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  let response: Response;
  try {
    response = await fetch(query ? `${path}?${query}` : path, { headers });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${(e as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) throw new ApiError(response.status, errorMessage(response, body));
  return body;
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

// The one way the dashboard talks to the API: JSON over fetch with the session cookie
// (HttpOnly, set by POST /api/session), the CSRF token on every unsafe request, and errors
// turned into ApiError with the server's message ({"error": ..., "detail": ...}).

export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;

  constructor(status: number, message: string, detail: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }

  /** The message with the fields a 422 names ("email: not a valid address"). */
  describe(): string {
    if (Array.isArray(this.detail) && this.detail.length > 0) {
      const parts = this.detail.map((d) =>
        typeof d === "object" && d !== null && "message" in d
          ? `${(d as { field?: string }).field ?? ""}${(d as { field?: string }).field ? ": " : ""}${String((d as { message: unknown }).message)}`
          : String(d),
      );
      return `${this.message}: ${parts.join("; ")}`;
    }
    if (typeof this.detail === "string" && this.detail) return `${this.message}: ${this.detail}`;
    return this.message;
  }
}

// The CSRF token lives in memory only (never in storage): a reload asks GET /api/session.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

// Called when any request answers 401 (session expired): the app shows the sign-in form.
let onUnauthorized: (() => void) | null = null;

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export type Query = Record<string, string | number | boolean | string[] | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

type Options = {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  /** A body that is not JSON (a CSV file as FormData). */
  form?: FormData;
  signal?: AbortSignal;
};

export async function request<T>(path: string, options: Options = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "SalesPad is not reachable (network error)");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && onUnauthorized && path !== "/api/session") onUnauthorized();
    const message =
      typeof data === "object" && data !== null && "error" in data
        ? String((data as { error: unknown }).error)
        : `${response.status} ${response.statusText || "error"}`;
    const detail = typeof data === "object" && data !== null && "detail" in data ? (data as { detail: unknown }).detail : null;
    throw new ApiError(response.status, message, detail);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>(path, { method: "POST", body, query }),
  put: <T>(path: string, body?: unknown) => request<T>(path, { method: "PUT", body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: "PATCH", body }),
  delete: <T>(path: string) => request<T>(path, { method: "DELETE" }),
  upload: <T>(path: string, form: FormData, query?: Query) =>
    request<T>(path, { method: "POST", form, query }),
};

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}

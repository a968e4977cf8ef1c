// Sign-in: the API key is typed once and exchanged for an HttpOnly session cookie
// (POST /api/session); it is never stored by the page. The CSRF token from the answer is kept
// in memory and sent on every unsafe request.
import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, errorText, setCsrfToken } from "./api";

export type Session = { csrf_token: string; expires_at: string };

export const sessionKey = ["session"] as const;

export function useSession() {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async () => {
      try {
        const session = await api.get<Session>("/api/session");
        setCsrfToken(session.csrf_token);
        return session;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          setCsrfToken(null);
          return null;
        }
        throw error;
      }
    },
    staleTime: Infinity,
    retry: false,
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete<void>("/api/session"),
    onSettled: () => {
      setCsrfToken(null);
      // Signed out first (the gate shows the form and the pages unmount), then forget what
      // they fetched. clear() would also drop the session query under the gate's observer,
      // which would then never hear of the sign-out.
      client.setQueryData(sessionKey, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== sessionKey[0] });
    },
  });
}

export function SignIn() {
  const client = useQueryClient();
  const [key, setKey] = useState("");
  const signIn = useMutation({
    mutationFn: (apiKey: string) => api.post<Session>("/api/session", { api_key: apiKey }),
    onSuccess: (session) => {
      setCsrfToken(session.csrf_token);
      setKey("");
      client.setQueryData(sessionKey, session);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) signIn.mutate(key.trim());
  };
  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">SalesPad</h1>
        <p className="muted">Sign in with your API key (`salespad dev` prints it; it is also in .salespad/api_key).</p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="current-password"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="sp_dev_…"
          autoFocus
        />
        {signIn.isError && (
          <p className="form-error" role="alert">
            {signIn.error instanceof ApiError && signIn.error.status === 401
              ? "That key was not accepted. Check it and try again."
              : errorText(signIn.error)}
          </p>
        )}
        <button type="submit" className="button primary" disabled={signIn.isPending || !key.trim()}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

/** Children only when signed in; the sign-in form otherwise. */
export function SessionGate({ children, loading }: { children: ReactNode; loading: ReactNode }) {
  const session = useSession();
  if (session.isPending) return <>{loading}</>;
  if (session.isError) {
    return (
      <main className="signin">
        <div className="card signin-card" role="alert">
          <h1>SalesPad is not reachable</h1>
          <p>{errorText(session.error)}</p>
          <button type="button" className="button" onClick={() => session.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (!session.data) return <SignIn />;
  return <>{children}</>;
}

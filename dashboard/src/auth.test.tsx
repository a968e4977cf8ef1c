import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { SessionGate, useSignOut } from "./auth";
import { api } from "./api";
import { mockFetch, renderPage } from "./test/utils";

function SignedIn() {
  const signOut = useSignOut();
  return (
    <button type="button" onClick={() => signOut.mutate()}>
      Sign out
    </button>
  );
}

const gate = (
  <SessionGate loading={<p>loading</p>}>
    <SignedIn />
  </SessionGate>
);

describe("SessionGate", () => {
  it("signs in with the key, sends the CSRF token it got, and signs out back to the form", async () => {
    let signedIn = false;
    const { calls } = mockFetch({
      "GET /api/session": () => (signedIn ? { body: { csrf_token: "t1", expires_at: "x" } } : { status: 401, body: { error: "not signed in" } }),
      "POST /api/session": () => {
        signedIn = true;
        return { body: { csrf_token: "t1", expires_at: "x" } };
      },
      "DELETE /api/session": () => {
        signedIn = false;
        return { status: 204 };
      },
      "POST /api/leads": { body: {} },
    });
    renderPage(gate);
    fireEvent.change(await screen.findByLabelText("API key"), { target: { value: "sp_dev_secret" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const out = await screen.findByRole("button", { name: "Sign out" });
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ api_key: "sp_dev_secret" });

    await api.post("/api/leads", {});
    const sentHeaders = (globalThis.fetch as unknown as { mock: { calls: [unknown, RequestInit][] } }).mock.calls.at(-1)![1].headers as Record<string, string>;
    expect(sentHeaders["X-CSRF-Token"]).toBe("t1");

    fireEvent.click(out);
    expect(await screen.findByLabelText("API key")).toBeInTheDocument();
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE")).toBe(true));
    // The key was never kept by the page.
    expect(document.body.innerHTML).not.toContain("sp_dev_secret");
  });

  it("says so when the key is refused", async () => {
    mockFetch({
      "GET /api/session": { status: 401, body: { error: "not signed in" } },
      "POST /api/session": { status: 401, body: { error: "wrong API key" } },
    });
    renderPage(gate);
    fireEvent.change(await screen.findByLabelText("API key"), { target: { value: "nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("not accepted");
  });
});

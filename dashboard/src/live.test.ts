import { describe, expect, it } from "vitest";
import { EVENT_TYPES, invalidationsFor, keys, parseEvent } from "./live";

describe("invalidationsFor", () => {
  it("a reply refreshes the inbox, the lead, its campaign's funnel and the lists", () => {
    const got = invalidationsFor({ event_type: "REPLY_RECEIVED", lead_id: "L1", campaign_id: "C1" });
    expect(got).toEqual(
      expect.arrayContaining([keys.inbox, keys.lead("L1"), keys.funnel("C1"), keys.campaign("C1"), keys.campaigns, keys.leads]),
    );
    expect(got).not.toContainEqual(keys.attention);
    expect(got).not.toContainEqual(keys.unmatched);
  });

  it("a send touches its lead and campaign, not the inbox", () => {
    const got = invalidationsFor({ event_type: "EMAIL_SENT", lead_id: "L1", campaign_id: "C1" });
    expect(got).toContainEqual(keys.funnel("C1"));
    expect(got).toContainEqual(keys.lead("L1"));
    expect(got).not.toContainEqual(keys.inbox);
    expect(got).not.toContainEqual(keys.funnel("C2"));
  });

  it("without a campaign id, every campaign's funnel (a prefix), never everything", () => {
    const got = invalidationsFor({ event_type: "EMAIL_SENT", lead_id: "L1", campaign_id: null });
    expect(got).toContainEqual(["funnel"]);
    expect(got).not.toContainEqual([]);
  });

  it("a dead letter refreshes the attention list", () => {
    expect(invalidationsFor({ event_type: "DEAD_LETTERED", lead_id: "L1", campaign_id: null })).toContainEqual(keys.attention);
  });

  it("a send or a deferred send refreshes the mailboxes' usage; a pause or resume only the mailboxes", () => {
    for (const type of ["EMAIL_SENT", "SMS_SENT", "WHATSAPP_SENT", "SEND_DEFERRED"]) {
      expect(invalidationsFor({ event_type: type, lead_id: "L1", campaign_id: "C1" })).toContainEqual(keys.mailboxes);
    }
    for (const type of ["MAILBOX_PAUSED", "MAILBOX_RESUMED"]) {
      expect(invalidationsFor({ event_type: type, lead_id: null, campaign_id: null })).toEqual([keys.mailboxes]);
    }
    for (const type of ["REPLY_RECEIVED", "DELIVERED", "DEAD_LETTERED", "SEND_SKIPPED"]) {
      expect(invalidationsFor({ event_type: type, lead_id: "L1", campaign_id: "C1" })).not.toContainEqual(keys.mailboxes);
    }
  });

  it("listens for the mailbox events by name", () => {
    expect(EVENT_TYPES).toEqual(expect.arrayContaining(["MAILBOX_PAUSED", "MAILBOX_RESUMED"]));
  });

  it("an unmatched reply only refreshes the unmatched list", () => {
    expect(invalidationsFor({ event_type: "UNMATCHED_REPLY", lead_id: null, campaign_id: null })).toEqual([keys.unmatched]);
  });
});

describe("parseEvent", () => {
  it("keeps the cursor and refuses what is not an event", () => {
    const event = parseEvent(JSON.stringify({ id: 7, event_type: "EMAIL_SENT", lead_id: "L", timestamp: "t", details: {} }), "5-7");
    expect(event?.cursor).toBe("5-7");
    expect(event?.campaign_id).toBeNull();
    expect(parseEvent("not json", "x")).toBeNull();
    expect(parseEvent(JSON.stringify({ id: "7" }), "x")).toBeNull();
    expect(parseEvent("null", "x")).toBeNull();
  });

  it("reads the lead's name, null when absent or empty", () => {
    const named = parseEvent(JSON.stringify({ id: 8, event_type: "EMAIL_SENT", lead_id: "L", lead_name: "Ada Lovelace" }), "5-8");
    expect(named?.lead_name).toBe("Ada Lovelace");
    expect(parseEvent(JSON.stringify({ id: 9, event_type: "EMAIL_SENT", lead_id: "L" }), "5-9")?.lead_name).toBeNull();
    expect(parseEvent(JSON.stringify({ id: 10, event_type: "X", lead_name: "" }), "5-10")?.lead_name).toBeNull();
  });
});

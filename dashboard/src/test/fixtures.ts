import type { CampaignFunnel, CampaignSummary, Figures, Lead, LeadDetail, Overview } from "../types";

export function figures(over: Partial<Figures> = {}): Figures {
  return {
    enrolled: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0, replies_by_intent: {},
    positive: 0, bounced: 0, unsubscribed: 0, dead_lettered: 0, converted: 0, messages_sent: 0,
    opens: 0, clicks: 0, reply_rate: null, positive_rate: null, ...over,
  };
}

export function campaign(over: Partial<CampaignSummary> = {}): CampaignSummary {
  return {
    id: "11111111-1111-1111-1111-111111111111", name: "Q3 founders", sequence: "demo", sequence_version: "1",
    status: "enrolled", selected: 10, enrolled: 8, skipped: 2, warnings: 0, state: "active",
    created_at: "2026-12-01T10:00:00Z", enrolling_finished_at: null, skipped_by_reason: {},
    enrollments: { active: 6, paused: 1, completed: 1 }, sends_by_step: {}, replies: 2, ...over,
  };
}

export function overview(over: Partial<Overview> = {}): Overview {
  return { days: 7, since: "2026-11-26T00:00:00Z", totals: figures({ messages_sent: 42, replied: 5 }), campaigns: [], ...over };
}

export function funnel(over: Partial<CampaignFunnel> = {}): CampaignFunnel {
  return {
    campaign_id: "11111111-1111-1111-1111-111111111111", name: "Q3 founders",
    overall: figures({ enrolled: 8, sent: 8, delivered: 7, opened: 4, replied: 3, replies_by_intent: { interested: 2, out_of_office: 1 } }),
    median_time_to_first_reply_seconds: 3600,
    steps: [
      { ...figures({ sent: 8, delivered: 7, opened: 4, replied: 2 }), step: 1, step_id: "intro", kind: "email" },
      { ...figures({ sent: 5, delivered: 5, opened: 2, replied: 1 }), step: 2, step_id: "bump", kind: "email" },
    ],
    channels: [],
    arms: [
      { ...figures({ enrolled: 4, sent: 4, replied: 1, reply_rate: 0.25 }), arm: "A", control: true, z: null, p_value: null, significant: null },
      { ...figures({ enrolled: 4, sent: 4, replied: 2, reply_rate: 0.5 }), arm: "B", control: false, z: 1.2, p_value: 0.23, significant: false },
    ],
    ...over,
  };
}

export function lead(over: Partial<Lead> = {}): Lead {
  return {
    id: "22222222-2222-2222-2222-222222222222", name: "Ada Lovelace", email: "ada@example.com", phone: null,
    timezone: null, company: "Analytical", title: null, owner: "sam", preferred_channel: null, status: "OUTREACHED",
    created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z", ...over,
  };
}

export function leadDetail(over: Partial<LeadDetail> = {}): LeadDetail {
  return {
    lead: lead(),
    enrollment: {
      id: "33333333-3333-3333-3333-333333333333", campaign_id: "11111111-1111-1111-1111-111111111111",
      workflow_id: "lead-2222", current_step: 2, state: "active", created_at: "2026-12-01T10:00:00Z", ended_at: null,
    },
    temporal_url: "http://localhost:8233/namespaces/default/workflows/lead-2222",
    timeline: [],
    ...over,
  };
}

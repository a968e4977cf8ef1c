// The API's answers the dashboard's campaign, lead and live pages read (from the OpenAPI
// document: services/*/schemas.py). Only the fields the pages use are typed.

export type Figures = {
  enrolled: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  replied: number;
  replies_by_intent: Record<string, number>;
  positive: number;
  bounced: number;
  unsubscribed: number;
  dead_lettered: number;
  converted: number;
  messages_sent: number;
  opens: number;
  clicks: number;
  reply_rate: number | null;
  positive_rate: number | null;
};

export type CampaignSummary = {
  id: string;
  name: string;
  sequence: string;
  sequence_version: string;
  /** enrolling, then enrolled */
  status: string;
  selected: number;
  enrolled: number;
  skipped: number;
  warnings: number;
  /** active, paused or stopped: the campaign's controls */
  state: string;
  created_at: string;
  enrolling_finished_at: string | null;
  skipped_by_reason: Record<string, number>;
  enrollments: Record<string, number>;
  sends_by_step: Record<string, number>;
  replies: number;
};

export type CampaignOverview = { campaign_id: string; name: string; figures: Figures };
export type Overview = { days: number; since: string; totals: Figures; campaigns: CampaignOverview[] };

export type StepFigures = Figures & { step: number; step_id: string | null; kind: string | null };
export type ChannelFigures = Figures & { channel: string };
export type ArmFigures = Figures & {
  arm: string;
  control: boolean;
  z: number | null;
  p_value: number | null;
  significant: boolean | null;
};

export type CampaignFunnel = {
  campaign_id: string;
  name: string;
  overall: Figures;
  median_time_to_first_reply_seconds: number | null;
  steps: StepFigures[];
  channels: ChannelFigures[];
  arms: ArmFigures[];
};

export type CampaignControlResult = { campaign_id: string; action: string; signalled: number; not_running: string[] };

export type Lead = {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  company: string | null;
  title: string | null;
  owner: string | null;
  preferred_channel: string | null;
  status: string;
  created_at: string;
  updated_at: string;
};

export type LeadList = { items: Lead[]; total: number; limit: number; offset: number; next_cursor: string | null };

export type Enrollment = {
  id: string;
  campaign_id: string;
  workflow_id: string;
  current_step: number | null;
  /** active, paused, attention, completed, stopped, replied, failed */
  state: string;
  created_at: string;
  ended_at: string | null;
};

export type TimelineEntry = {
  at: string;
  kind: "message" | "event";
  direction: string | null;
  channel: string | null;
  step: number | null;
  subject: string | null;
  content: string | null;
  delivery_status: string | null;
  event_type: string | null;
  details: Record<string, unknown> | null;
};

export type LeadDetail = {
  lead: Lead;
  enrollment: Enrollment | null;
  temporal_url: string | null;
  timeline: TimelineEntry[];
};

export type ControlResult = { lead_id: string; action: string; signalled: boolean; detail: string };

export const LEAD_STATUSES = ["NEW", "OUTREACHED", "REPLIED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"] as const;

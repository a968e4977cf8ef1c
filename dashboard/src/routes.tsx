// The dashboard's pages: one line each. `nav` puts a page in the sidebar.
import type { ComponentType } from "react";
import CampaignsPage from "./pages/Campaigns";
import CampaignPage from "./pages/Campaign";
import LivePage from "./pages/Live";
import LeadsPage from "./pages/Leads";
import LeadPage from "./pages/Lead";
import InboxPage from "./pages/Inbox";
import AttentionPage from "./pages/Attention";
import ImportPage from "./pages/Import";
import SequencesPage from "./pages/Sequences";
import MailboxesPage from "./pages/Mailboxes";

export type Route = {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  nav?: string;
};

export const routes: Route[] = [
  { path: "/", component: CampaignsPage },
  { path: "/campaigns", component: CampaignsPage, nav: "Campaigns" },
  { path: "/campaigns/:id", component: CampaignPage },
  { path: "/live", component: LivePage, nav: "Live feed" },
  { path: "/leads", component: LeadsPage, nav: "Leads" },
  { path: "/leads/:id", component: LeadPage },
  { path: "/inbox", component: InboxPage, nav: "Inbox" },
  { path: "/attention", component: AttentionPage, nav: "Attention" },
  { path: "/import", component: ImportPage, nav: "Import" },
  { path: "/sequences", component: SequencesPage, nav: "Sequences" },
  { path: "/mailboxes", component: MailboxesPage, nav: "Mailboxes" },
];

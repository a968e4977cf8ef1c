import { PageHeader, Empty } from "../components/ui";

export default function CampaignsPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Campaigns" />
      <Empty title="Not built yet" />
    </>
  );
}

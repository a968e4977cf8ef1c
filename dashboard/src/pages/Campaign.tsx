import { PageHeader, Empty } from "../components/ui";

export default function CampaignPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Campaign" />
      <Empty title="Not built yet" />
    </>
  );
}

import { PageHeader, Empty } from "../components/ui";

export default function LeadPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Lead" />
      <Empty title="Not built yet" />
    </>
  );
}

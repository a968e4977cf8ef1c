import { PageHeader, Empty } from "../components/ui";

export default function LeadsPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Leads" />
      <Empty title="Not built yet" />
    </>
  );
}

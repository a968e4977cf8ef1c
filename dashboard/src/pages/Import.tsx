import { PageHeader, Empty } from "../components/ui";

export default function ImportPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Import" />
      <Empty title="Not built yet" />
    </>
  );
}

import { PageHeader, Empty } from "../components/ui";

export default function LivePage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Live" />
      <Empty title="Not built yet" />
    </>
  );
}

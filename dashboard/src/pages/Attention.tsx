import { PageHeader, Empty } from "../components/ui";

export default function AttentionPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Attention" />
      <Empty title="Not built yet" />
    </>
  );
}

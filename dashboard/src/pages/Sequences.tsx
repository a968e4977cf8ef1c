import { PageHeader, Empty } from "../components/ui";

export default function SequencesPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Sequences" />
      <Empty title="Not built yet" />
    </>
  );
}

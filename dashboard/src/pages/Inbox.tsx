import { PageHeader, Empty } from "../components/ui";

export default function InboxPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Inbox" />
      <Empty title="Not built yet" />
    </>
  );
}

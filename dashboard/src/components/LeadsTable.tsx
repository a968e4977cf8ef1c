// One table of leads (name linking to the lead's page, email, company, status, owner and
// optionally when it was created), shared by the Leads page and a campaign's page.
import { Link } from "../router";
import type { Lead } from "../types";
import { Badge, formatDateTime } from "./ui";

export function LeadsTable(props: { items: Lead[]; rowTestId: string; showCreated?: boolean; stale?: boolean }) {
  return (
    <div className="table-wrap">
      <table className={props.stale ? "stale" : undefined}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Company</th>
            <th>Status</th>
            <th>Owner</th>
            {props.showCreated && <th>Created</th>}
          </tr>
        </thead>
        <tbody>
          {props.items.map((l) => (
            <tr key={l.id} data-testid={props.rowTestId}>
              <td>
                <Link to={`/leads/${l.id}`}>{l.name}</Link>
              </td>
              <td>{l.email ?? "—"}</td>
              <td>{l.company ?? "—"}</td>
              <td>
                <Badge value={l.status} />
              </td>
              <td>{l.owner ?? "—"}</td>
              {props.showCreated && <td>{formatDateTime(l.created_at)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

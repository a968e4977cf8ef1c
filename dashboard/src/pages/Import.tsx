// Import: pick a CSV, map its columns to lead fields (read from the header row, here in the
// browser), choose what a duplicate does and optionally a campaign, upload; then follow the
// import to its report (counts, rejected rows, the rejected rows as a CSV to fix).
import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../live";
import { Link } from "../router";
import { Badge, Card, Empty, ErrorBox, formatDateTime, Loading, PageHeader } from "../components/ui";

export type ImportSummary = {
  id: string;
  filename: string;
  status: "processing" | "done" | "failed" | string;
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
  suppressed: number;
  campaign_id: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
};
export type ImportDetail = ImportSummary & {
  rejections: { line: number; column: string | null; reason: string }[];
  rejected_csv: string;
};
type CampaignOption = { id: string; name: string; state?: string };

// The mapping targets POST /api/imports accepts (services/imports/columns.py TARGETS).
export const FIELDS = [
  "email", "name", "first_name", "last_name", "phone", "company", "title", "timezone", "owner",
  "preferred_channel", "linkedin_url", "metadata", "ignore",
] as const;
const FIELD_LABELS: Record<string, string> = {
  metadata: "keep in metadata",
  ignore: "ignore",
  linkedin_url: "LinkedIn URL",
  preferred_channel: "preferred channel",
  first_name: "first name",
  last_name: "last name",
};
// A first guess per header; the server's own aliases are wider, and the user can change it.
const GUESSES: [string, RegExp][] = [
  ["email", /^(e?mail|emailaddress|workemail|businessemail|primaryemail)$/],
  ["first_name", /^(firstname|givenname|first)$/],
  ["last_name", /^(lastname|surname|familyname|last)$/],
  ["name", /^(name|fullname|contactname|leadname|contact)$/],
  ["phone", /^(phone|phonenumber|mobile|mobilephone|cell|tel|telephone)$/],
  ["company", /^(company|companyname|account|accountname|organi[sz]ation)$/],
  ["title", /^(title|jobtitle|position|role)$/],
  ["timezone", /^(timezone|tz)$/],
  ["owner", /^(owner|leadowner|contactowner|assignedto)$/],
  ["preferred_channel", /^(preferredchannel|preferredcontactmethod)$/],
  ["linkedin_url", /^(linkedin|linkedinurl|linkedinprofile)$/],
  ["ignore", /^reason$/],
];

export function guessField(header: string): string {
  const key = header.toLowerCase().replace(/[^0-9a-z]/g, "");
  return GUESSES.find(([, pattern]) => pattern.test(key))?.[0] ?? "metadata";
}

/** The header row of a CSV text: its delimiter guessed (comma, semicolon, tab), quotes honoured. */
export function readHeader(text: string): string[] {
  const firstLine = text.replace(/^\uFEFF/, "").split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  const delimiter = [",", ";", "\t"].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best), ",");
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < firstLine.length; i++) {
    const ch = firstLine[i];
    if (quoted) {
      if (ch === '"' && firstLine[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = "";
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells.filter((c) => c !== "");
}

function readText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

const ON_DUPLICATE = [
  { value: "update", label: "update the lead" },
  { value: "skip", label: "skip the row" },
  { value: "fill-empty", label: "fill only empty fields" },
];

export default function ImportPage(_props: { params: Record<string, string> }) {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [headerError, setHeaderError] = useState<string | null>(null);
  const [onDuplicate, setOnDuplicate] = useState("update");
  const [campaign, setCampaign] = useState("");
  const [importId, setImportId] = useState<string | null>(null);

  const campaigns = useQuery({
    queryKey: keys.campaigns,
    queryFn: ({ signal }) => api.get<CampaignOption[]>("/api/campaigns", undefined, signal),
  });
  const upload = useMutation({
    mutationFn: (form: FormData) => api.upload<ImportDetail>("/api/imports", form),
    onSuccess: (result) => {
      client.setQueryData(keys.import(result.id), result);
      setImportId(result.id);
      void client.invalidateQueries({ queryKey: keys.imports });
    },
  });
  const current = useQuery({
    queryKey: keys.import(importId ?? "none"),
    queryFn: ({ signal }) => api.get<ImportDetail>(`/api/imports/${importId}`, undefined, signal),
    enabled: importId !== null,
    // 202: the import runs in the background; follow it every second until it is done.
    refetchInterval: (query) => (query.state.data?.status === "processing" ? 1000 : false),
  });
  const finished = current.data && current.data.status !== "processing";
  useEffect(() => {
    if (finished) void client.invalidateQueries({ queryKey: keys.imports });
  }, [finished, client]);

  const choose = async (picked: File | null) => {
    setFile(picked);
    setImportId(null);
    upload.reset();
    setHeaderError(null);
    setColumns([]);
    setMapping({});
    if (!picked) return;
    if (!/\.(csv|txt|tsv)$/i.test(picked.name)) {
      setHeaderError("Column mapping is read from CSV files; this file's columns are matched by the server.");
      return;
    }
    let head: string;
    try {
      head = await readText(picked.slice(0, 64 * 1024));
    } catch {
      setHeaderError("This file could not be read.");
      return;
    }
    const found = readHeader(head);
    if (found.length === 0) {
      setHeaderError("This file has no header row.");
      return;
    }
    setColumns(found);
    setMapping(Object.fromEntries(found.map((c) => [c, guessField(c)])));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    if (columns.length > 0) form.append("mapping", JSON.stringify(mapping));
    form.append("on_duplicate", onDuplicate);
    if (campaign) form.append("campaign", campaign);
    setImportId(null);
    upload.mutate(form);
  };

  const report = current.data;
  return (
    <>
      <PageHeader title="Import leads" subtitle="Upload a CSV exported from your CRM; every row is checked and the rejected ones are listed." />
      <Card title="1. File and options">
        <form className="import-form" onSubmit={submit}>
          <label className="field">
            CSV file
            <input
              type="file"
              accept=".csv,.tsv,.txt,.xlsx,text/csv"
              data-testid="import-file"
              onChange={(e) => void choose(e.target.files?.[0] ?? null)}
            />
          </label>
          {headerError && <p className="muted">{headerError}</p>}
          {columns.length > 0 && (
            <fieldset className="import-mapping">
              <legend>Columns</legend>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Column in the file</th>
                      <th>Lead field</th>
                    </tr>
                  </thead>
                  <tbody>
                    {columns.map((column) => (
                      <tr key={column}>
                        <td>{column}</td>
                        <td>
                          <select
                            aria-label={`Field for column ${column}`}
                            value={mapping[column]}
                            onChange={(e) => setMapping({ ...mapping, [column]: e.target.value })}
                          >
                            {FIELDS.map((f) => (
                              <option key={f} value={f}>
                                {FIELD_LABELS[f] ?? f}
                              </option>
                            ))}
                          </select>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </fieldset>
          )}
          <div className="import-options">
            <label className="field">
              When a lead already exists
              <select value={onDuplicate} onChange={(e) => setOnDuplicate(e.target.value)}>
                {ON_DUPLICATE.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              Add to campaign (optional)
              <select value={campaign} onChange={(e) => setCampaign(e.target.value)} disabled={!campaigns.data}>
                <option value="">— no campaign —</option>
                {(campaigns.data ?? [])
                  .filter((c) => c.state !== "stopped")
                  .map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
              </select>
            </label>
            {campaigns.isError && <p className="form-error">Campaigns could not be loaded.</p>}
          </div>
          <div className="toolbar">
            <button type="submit" className="button primary" disabled={!file || upload.isPending}>
              {upload.isPending ? "Uploading…" : "Upload"}
            </button>
          </div>
        </form>
      </Card>
      {upload.isError && <ErrorBox title="The import was refused" error={upload.error} />}
      {upload.isPending && <Loading label="Uploading…" />}
      {importId && current.isError && <ErrorBox error={current.error} retry={() => void current.refetch()} />}
      {report && <Report report={report} />}
      <RecentImports />
    </>
  );
}

function Report({ report }: { report: ImportDetail }) {
  const counts: [string, number][] = [
    ["created", report.created],
    ["updated", report.updated],
    ["skipped", report.skipped],
    ["rejected", report.rejected],
    ["suppressed", report.suppressed],
  ];
  return (
    <Card title={`2. ${report.filename}`} actions={<Badge value={report.status} kind={report.status} />}>
      {report.status === "processing" ? (
        <Loading label={`Importing… ${report.rows} rows read so far`} />
      ) : (
        <div data-testid="import-report">
          {report.error && <p className="form-error" role="alert">{report.error}</p>}
          <div className="stats">
            <div className="stat">
              <div className="value">{report.rows}</div>
              <div className="label">rows</div>
            </div>
            {counts.map(([label, value]) => (
              <div className="stat" key={label} data-testid={`import-${label}`}>
                <div className="value">{value}</div>
                <div className="label">{label}</div>
              </div>
            ))}
          </div>
          {report.campaign_id && (
            <p>
              Added to <Link to={`/campaigns/${report.campaign_id}`}>the campaign</Link>; enrolling in the background.
            </p>
          )}
          {report.rejected > 0 && (
            <>
              <div className="toolbar import-rejected-head">
                <h3>Rejected rows</h3>
                <a className="button" href={report.rejected_csv} download>
                  Download rejected rows (CSV)
                </a>
              </div>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Line</th>
                      <th>Column</th>
                      <th>Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.rejections.map((r, i) => (
                      <tr key={`${r.line}-${i}`}>
                        <td>{r.line}</td>
                        <td>{r.column ?? "—"}</td>
                        <td>{r.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {report.rejections.length < report.rejected && (
                <p className="muted">
                  Showing the first {report.rejections.length} of {report.rejected}; the CSV has them all.
                </p>
              )}
            </>
          )}
        </div>
      )}
    </Card>
  );
}

function RecentImports() {
  const recent = useQuery({
    queryKey: keys.imports,
    queryFn: ({ signal }) => api.get<{ items: ImportSummary[] }>("/api/imports", { limit: 20 }, signal),
  });
  return (
    <Card title="Recent imports">
      {recent.isPending ? (
        <Loading />
      ) : recent.isError ? (
        <ErrorBox error={recent.error} retry={() => void recent.refetch()} />
      ) : recent.data.items.length === 0 ? (
        <Empty title="No imports yet." />
      ) : (
        <div className="table-wrap">
          <table data-testid="recent-imports">
            <thead>
              <tr>
                <th>File</th>
                <th>When</th>
                <th>Status</th>
                <th>Rows</th>
                <th>Created</th>
                <th>Updated</th>
                <th>Skipped</th>
                <th>Rejected</th>
                <th>Suppressed</th>
              </tr>
            </thead>
            <tbody>
              {recent.data.items.map((item) => (
                <tr key={item.id}>
                  <td className="import-filename">{item.filename}</td>
                  <td>{formatDateTime(item.created_at)}</td>
                  <td>
                    <Badge value={item.status} />
                  </td>
                  <td>{item.rows}</td>
                  <td>{item.created}</td>
                  <td>{item.updated}</td>
                  <td>{item.skipped}</td>
                  <td>{item.rejected}</td>
                  <td>{item.suppressed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

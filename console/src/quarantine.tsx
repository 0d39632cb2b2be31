import { useEffect, useState } from "preact/hooks";
import { QuarantineEntry, ROUTES, RetryResult, Session, hasRoute, quarantine } from "./api";
import { CsvCheck, checkMappingCsv } from "./mapping";
import { CsvCheckReport, ErrorText, Notice, message, when } from "./ui";

// Quarantine: the items no mailbox could take yet (none of their participants is mapped), with
// the reason; with quarantine.manage (and a server that has the route), a retry with an
// optional mapping CSV, checked line by line in the page before it is sent.

function Retry({ onDone }: { onDone: (r: RetryResult | null, m: string) => void }) {
  const [csv, setCsv] = useState("");
  const [csvName, setCsvName] = useState("");
  const [region, setRegion] = useState("");
  const [checked, setChecked] = useState<CsvCheck | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setChecked(csv ? checkMappingCsv(csv, region.trim()) : null);
  }, [csv, region]);

  async function onFile(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) {
      setCsv("");
      setCsvName("");
      return;
    }
    setCsv(await file.text());
    setCsvName(file.name);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (region && !/^[A-Za-z]{2}$/.test(region.trim())) {
      setError("Default region: two letters, e.g. DE");
      return;
    }
    if (checked && checked.problems.length) {
      setError("The mapping CSV has problems (below): fix the file and choose it again");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: { mapping_csv?: string; default_region?: string } = {};
      if (csv) body.mapping_csv = csv;
      if (region.trim()) body.default_region = region.trim().toUpperCase();
      const r = await quarantine.retry(body);
      onDone(r, r ? `${r.filed} filed, ${r.still_quarantined} still in quarantine` : "Retry is not available on this server");
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="retry-title">
      <h2 id="retry-title">Retry with a mapping</h2>
      <p>
        Files what the mapping now places; the rest stays here. The CSV (optional) is added to the mapping for this
        retry.
      </p>
      <label for="retry-csv">Mapping CSV: phone number to mailbox (header row: phone,email)</label>
      <input id="retry-csv" type="file" accept=".csv,text/csv" onChange={onFile} />
      {checked && <CsvCheckReport name={csvName} check={checked} testid="retry-csv-check" />}
      <label for="retry-region">Default region for national numbers (optional, e.g. DE)</label>
      <input id="retry-region" size={4} value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Retry
        </button>
      </div>
    </form>
  );
}

export function QuarantinePage({ session }: { session: Session }) {
  const [list, setList] = useState<QuarantineEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [result, setResult] = useState<RetryResult | null>(null);
  const [bump, setBump] = useState(0);
  const [, redraw] = useState(0);

  useEffect(() => {
    quarantine
      .list()
      .then((l) => (setList(l), setError(null)))
      .catch((e) => setError(message(e)));
  }, [bump]);

  const canRetry = session.permissions.includes("quarantine.manage") && hasRoute(ROUTES.retry);
  return (
    <>
      <h1 tabIndex={-1}>Quarantine</h1>
      <p>
        Items none of whose participants is mapped to a mailbox wait here, never dropped, until a mapping places
        them.
      </p>
      <Notice text={notice} />
      {canRetry && list && list.length > 0 && (
        <Retry
          onDone={(r, m) => {
            setNotice(m);
            setResult(r);
            setBump((b) => b + 1);
            redraw((n) => n + 1);
          }}
        />
      )}
      {result && Object.keys(result.per_mailbox ?? {}).length > 0 && (
        <table class="list" data-testid="retry-result">
          <caption>Filed by mailbox</caption>
          <thead>
            <tr>
              <th scope="col">Mailbox</th>
              <th scope="col">Items filed</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(result.per_mailbox).map(([m, n]) => (
              <tr key={m}>
                <th scope="row">{m}</th>
                <td>{typeof n === "number" ? n : (n.filed ?? n.items ?? JSON.stringify(n))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorText error={error} />
      {list && list.length === 0 && <p>Nothing in quarantine.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="quarantine">
          <caption>{list.length} item{list.length === 1 ? "" : "s"} in quarantine</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Since</th>
              <th scope="col">Reason</th>
              <th scope="col">Message-ID</th>
            </tr>
          </thead>
          <tbody>
            {list.map((q) => (
              <tr key={q.item} data-item={q.item}>
                <th scope="row">{q.item}</th>
                <td>{when(q.since)}</td>
                <td>{q.reason}</td>
                <td>
                  <code>{q.message_id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

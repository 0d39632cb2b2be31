// Small pieces the pages share.
import { useEffect, useState } from "preact/hooks";
import { ApiError, Estimate } from "./api";
import { CsvCheck } from "./mapping";

export function message(e: unknown): string {
  return e instanceof ApiError ? e.message : "The server could not be reached.";
}

// What `load` answers, read again whenever `deps` change (nothing is asked while `load` is null);
// the old answer and error are cleared first, and an answer that arrives after the page moved on
// (deps changed, page closed) is dropped. `setData` lets a page put a fresher answer in place.
export function useLoaded<T>(load: (() => Promise<T>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    setData(null);
    setError(null);
    load?.()
      .then((d) => !stop && setData(d))
      .catch((e) => !stop && setError(message(e)));
    return () => {
      stop = true;
    };
  }, deps);
  return { data, error, setData };
}

// An instant from the API (UTC, ISO 8601) in the reader's locale, in `zone` when given, else in
// the browser's zone; always with the zone's name, so that every page's dates read alike and say
// which clock they are on ("Nov 25, 2026, 13:32:05 UTC"; 24-hour, shorter in a table cell).
const WHEN: Intl.DateTimeFormatOptions = {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
};
export function when(t: string | null | undefined, zone?: string) {
  if (!t) return "—";
  const d = new Date(t);
  if (isNaN(d.getTime())) return t;
  try {
    return d.toLocaleString(undefined, zone ? { ...WHEN, timeZone: zone } : WHEN);
  } catch {
    return d.toLocaleString(undefined, WHEN);
  }
}

export function bytes(n: number) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function ErrorText({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

// A status line that screen readers announce.
export function Notice({ text, testid = "notice" }: { text: string; testid?: string }) {
  return (
    <p class="notice" aria-live="polite" data-testid={testid}>
      {text}
    </p>
  );
}

// A mapping CSV as checked in the page: its row count, or every problem by line (the first 200).
export function CsvCheckReport({ name, check, testid, advice = "" }: { name: string; check: CsvCheck; testid: string; advice?: string }) {
  const n = check.problems.length;
  return (
    <div class="csv-check" data-testid={testid}>
      {n === 0 ? (
        <p role="status" class="ok">
          {name}: {check.rows} row{check.rows === 1 ? "" : "s"}, no problem.
        </p>
      ) : (
        <div role="alert">
          <p class="error">
            {name}: {n} problem{n === 1 ? "" : "s"}
            {advice}
          </p>
          <ul class="problems">
            {check.problems.slice(0, 200).map((p, i) => (
              <li key={i}>
                Line {p.line}: {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

// What keeps a form from going on, as one announced list.
export function ProblemList({ problems }: { problems: string[] }) {
  if (!problems.length) return null;
  return (
    <ul class="error" role="alert">
      {problems.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}

// What a search would collect: items and size in all and by mailbox (GET /api/v1/search/estimate,
// or a case's saved search).
export function EstimateTable({ estimate, caption }: { estimate: Estimate; caption: string }) {
  return (
    <>
      <p>
        {estimate.items} items, {bytes(estimate.bytes)} in all.
      </p>
      <table class="list">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Mailbox</th>
            <th scope="col">Items</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(estimate.mailboxes ?? {}).map(([m, e]) => (
            <tr key={m}>
              <th scope="row">{m}</th>
              <td>{e.items}</td>
              <td>{bytes(e.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

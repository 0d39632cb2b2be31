import { useEffect, useRef, useState } from "preact/hooks";
import {
  Attachment,
  ContextEntry,
  Estimate,
  Explanation,
  Hit,
  Item,
  ItemContext,
  CASE_ROUTES,
  ROUTES,
  SearchResult,
  Session,
  hasRoute,
  items,
  search,
} from "./api";
import { linkHandler } from "./router";
import { SaveToCase } from "./cases";
import { ErrorText, EstimateTable, bytes, message, when } from "./ui";

// Content search: a KQL query box with a small condition builder, Explain, results with
// paging, estimates by mailbox; and the item view (the item in its conversation, shown like a
// chat, its attachments, the .eml); with cases.manage, the query saved to a case (cases.tsx). Explain, estimates, the conversation and the .eml appear
// only when the server has their routes (api.ts, hasRoute).

const PAGE = 25;
const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

// The last search, kept while the console is open, so that going back from an item finds it.
const last = { q: "", tz: localZone(), offset: 0, result: null as SearchResult | null };

const CONDITIONS = [
  { key: "from", label: "From (name, address or phone)", input: "text" },
  { key: "sent>=", label: "Sent on or after", input: "date" },
  { key: "sent<=", label: "Sent on or before", input: "date" },
  { key: "kind", label: "Kind", input: "kind" },
  { key: "hasattachment", label: "Has an attachment", input: "none" },
  { key: "mailbox", label: "Mailbox", input: "text" },
] as const;

// One KQL term: a value with a space or a KQL character is quoted.
export function term(key: string, value: string): string {
  if (key === "hasattachment") return "hasattachment:true";
  const v = value.trim();
  const quoted = /^[^\s"():]+$/.test(v) ? v : `"${v.replace(/"/g, "")}"`;
  return key.endsWith("=") ? `${key}${quoted}` : `${key}:${quoted}`;
}

function ConditionBuilder({ onAdd }: { onAdd: (t: string) => void }) {
  const [key, setKey] = useState<string>("from");
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const c = CONDITIONS.find((x) => x.key === key)!;

  function add() {
    if (c.input !== "none" && !value.trim()) {
      setProblem(`${c.label}: enter a value`);
      return;
    }
    setProblem(null);
    onAdd(term(key, c.input === "kind" ? value || "message" : value));
    setValue("");
  }

  return (
    <fieldset class="builder">
      <legend>Add a condition</legend>
      <div class="row">
        <span>
          <label for="cond-field">Condition</label>
          <select
            id="cond-field"
            value={key}
            onChange={(e) => {
              setKey(e.currentTarget.value);
              setValue(e.currentTarget.value === "kind" ? "message" : "");
              setProblem(null);
            }}
          >
            {CONDITIONS.map((x) => (
              <option value={x.key}>{x.label}</option>
            ))}
          </select>
        </span>
        {c.input === "kind" ? (
          <span>
            <label for="cond-value">Value</label>
            <select id="cond-value" value={value || "message"} onChange={(e) => setValue(e.currentTarget.value)}>
              <option value="message">message</option>
              <option value="call">call</option>
              <option value="system">system</option>
            </select>
          </span>
        ) : c.input !== "none" ? (
          <span>
            <label for="cond-value">Value</label>
            <input
              id="cond-value"
              type={c.input}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  add();
                }
              }}
            />
          </span>
        ) : null}
        <button type="button" class="secondary" onClick={add}>
          Add to query
        </button>
      </div>
      <ErrorText error={problem} />
    </fieldset>
  );
}

export function SearchPage({ session }: { session?: Session }) {
  const [q, setQ] = useState(last.q);
  const [tz, setTz] = useState(last.tz);
  const [result, setResult] = useState<SearchResult | null>(last.result);
  const [offset, setOffset] = useState(last.offset);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [explained, setExplained] = useState<Explanation | null>(null);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [, redraw] = useState(0);
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  const queryBox = useRef<HTMLTextAreaElement>(null);

  async function run(at: number, focus = false) {
    if (!q.trim()) {
      setError("Enter a query, e.g. budget from:helena");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await search.run(q.trim(), tz.trim() || "UTC", PAGE, at);
      Object.assign(last, { q, tz, offset: at, result: r });
      setResult(r);
      setOffset(at);
      if (focus) setTimeout(() => resultsHeading.current?.focus(), 0);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  async function optional<T>(f: () => Promise<T | null>, set: (v: T | null) => void) {
    if (!q.trim()) {
      setError("Enter a query first");
      return;
    }
    setError(null);
    setBusy(true);
    try {
      set(await f());
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
      redraw((n) => n + 1); // a route found missing hides its button
    }
  }

  const zone = tz.trim() || "UTC";
  return (
    <>
      <h1 tabIndex={-1}>Content search</h1>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setExplained(null);
          setEstimate(null);
          run(0, true);
        }}
      >
        <label for="q">Query (KQL)</label>
        <textarea
          id="q"
          name="q"
          rows={2}
          ref={queryBox}
          value={q}
          aria-describedby="q-help"
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter searches, as in a search box; Shift+Enter starts a new line.
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              e.currentTarget.form?.requestSubmit();
            }
          }}
        />
        <small id="q-help">
          Words, "phrases", budg*, AND / OR / NOT, NEAR(n), from:, to:, participants:, subject:, conversation:,
          mailbox:, sent&gt;=, kind:, hasattachment:true …
        </small>
        <ConditionBuilder
          onAdd={(t) => {
            setQ((old) => (old.trim() ? `${old.trim()} ${t}` : t));
            queryBox.current?.focus();
          }}
        />
        <label for="tz">Time zone of the dates</label>
        <input id="tz" name="tz" value={tz} onInput={(e) => setTz(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Search
          </button>
          {hasRoute(ROUTES.explain) && (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => optional(() => search.explain(q.trim(), zone), setExplained)}
            >
              Explain
            </button>
          )}
          {hasRoute(ROUTES.estimate) && (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => optional(() => search.estimate(q.trim(), zone), setEstimate)}
            >
              Estimate by mailbox
            </button>
          )}
        </div>
      </form>
      <ErrorText error={error} />
      {session?.permissions.includes("cases.manage") && hasRoute(CASE_ROUTES.list) && hasRoute(CASE_ROUTES.saveSearch) && (
        <SaveToCase query={q} zone={zone} />
      )}
      <p class="notice" aria-live="polite" data-testid="search-status">
        {busy ? "Searching…" : result ? `${result.total} item${result.total === 1 ? "" : "s"} found (dates in ${result.zone})` : ""}
      </p>
      {explained && (
        <section class="card" aria-labelledby="explain-title" data-testid="explain">
          <h2 id="explain-title">How the query was understood</h2>
          <p>
            <code>{explained.query}</code> (dates in {explained.zone})
          </p>
          {Array.isArray(explained.notes) ? (
            <ul>
              {explained.notes.map((n) => (
                <li>{typeof n === "string" ? n : JSON.stringify(n)}</li>
              ))}
            </ul>
          ) : (
            <pre>{typeof explained.notes === "string" ? explained.notes : JSON.stringify(explained.notes, null, 2)}</pre>
          )}
        </section>
      )}
      {estimate && (
        <section class="card" aria-labelledby="estimate-title" data-testid="estimate">
          <h2 id="estimate-title">Estimate by mailbox</h2>
          <EstimateTable estimate={estimate} caption="Estimate by mailbox" />
        </section>
      )}
      {result && (
        <section aria-labelledby="results-title">
          <h2 id="results-title" tabIndex={-1} ref={resultsHeading}>
            Results
          </h2>
          {result.hits.length === 0 ? (
            <p>Nothing matches.</p>
          ) : (
            <>
              <HitsTable hits={result.hits} zone={result.zone} caption="Search results" />
              <nav class="pager" aria-label="Result pages">
                <button type="button" class="secondary" disabled={busy || offset === 0} onClick={() => run(Math.max(0, offset - PAGE), true)}>
                  Previous
                </button>
                <span>
                  {offset + 1}–{offset + result.hits.length} of {result.total}
                </span>
                <button
                  type="button"
                  class="secondary"
                  disabled={busy || offset + result.hits.length >= result.total}
                  onClick={() => run(offset + PAGE, true)}
                >
                  Next
                </button>
              </nav>
            </>
          )}
        </section>
      )}
    </>
  );
}

// Results as a table: sent (the link to the item), author, conversation, mailbox, snippet. The
// content search's hits, or a reviewed case's (`href` then opens the reviewer's item view).
export function HitsTable({
  hits,
  zone,
  caption,
  href = (item) => `/search/items/${item}`,
}: {
  hits: (Omit<Hit, "message_id" | "deleted" | "size"> & { deleted?: boolean })[];
  zone?: string;
  caption: string;
  href?: (item: number) => string;
}) {
  return (
    <table class="list" data-testid="results">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Sent</th>
          <th scope="col">Author</th>
          <th scope="col">Conversation</th>
          <th scope="col">Mailbox</th>
          <th scope="col">Snippet</th>
        </tr>
      </thead>
      <tbody>
        {hits.map((h) => (
          <tr key={h.item} data-item={h.item}>
            <td>
              <a href={href(h.item)} onClick={linkHandler(href(h.item))}>
                {when(h.sent, zone)}
              </a>
            </td>
            <td>{h.author || "—"}</td>
            <td>{h.conversation}</td>
            <td>{h.mailboxes.length ? h.mailboxes.join(", ") : <em>quarantine</em>}</td>
            <td class="snippet">
              {h.deleted && <span class="tag">deleted</span>} {h.kind !== "message" && <span class="tag">{h.kind}</span>}{" "}
              {h.snippet}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// A conversation as the API names it: its title, or an object with one.
function title(c: unknown): string {
  if (typeof c === "string") return c;
  if (c && typeof c === "object" && "title" in c) return String((c as { title: unknown }).title);
  return "";
}

// One message of a conversation, shown like a chat; the others link to their item view
// (`href`: the content search's, or the reviewer's).
// An item's text and its attachments, as the item views (Content search, Review) show them.
export function MessageBody({ text, attachments }: { text: string; attachments: Attachment[] }) {
  return (
    <>
      <div class="message-body" data-testid="item-text">
        {text || <em>(no text)</em>}
      </div>
      <h3>Attachments</h3>
      {attachments.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul data-testid="attachments">
          {attachments.map((a) => (
            <li>
              {a.name || "(unnamed)"} — {a.present ? (a.size != null ? bytes(a.size) : "stored") : "named in the chat, not in the export"}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function Bubble({
  e,
  current,
  zone,
  href = (item) => `/search/items/${item}`,
}: {
  e: ContextEntry;
  current: boolean;
  zone?: string;
  href?: (item: number) => string;
}) {
  const body = (
    <>
      <div class="meta">
        <span class="author">{e.author || (e.kind === "system" ? "WhatsApp" : "—")}</span>{" "}
        <time dateTime={e.sent}>{when(e.sent, zone)}</time>
        {e.deleted && <span class="tag">deleted</span>}
        {e.kind !== "message" && <span class="tag">{e.kind}</span>}
      </div>
      <div class="text">{e.text}</div>
      {e.attachments?.length > 0 && (
        <ul class="attachments">
          {e.attachments.map((a) => (
            <li>
              Attachment: {a.name || "(unnamed)"} {a.present ? (a.size != null ? `(${bytes(a.size)})` : "") : "(not in the export)"}
            </li>
          ))}
        </ul>
      )}
    </>
  );
  return (
    <li class={`bubble kind-${e.kind}${current ? " current" : ""}`} aria-current={current ? "true" : undefined} data-item={e.item}>
      {current ? (
        body
      ) : (
        <a class="bubble-link" href={href(e.item)} onClick={linkHandler(href(e.item))}>
          {body}
        </a>
      )}
    </li>
  );
}

export function ItemView({ id }: { id: number }) {
  const [item, setItem] = useState<Item | null>(null);
  const [ctx, setCtx] = useState<ItemContext | null>(null);
  const [error, setError] = useState<string | null>(null);
  const zone = last.result?.zone;
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let stop = false;
    setItem(null);
    setCtx(null);
    setError(null);
    (async () => {
      try {
        const it = await items.get(id);
        if (stop) return;
        setItem(it);
        const c = await items.context(id, 5, 5);
        if (!stop) setCtx(c);
      } catch (e) {
        if (!stop) setError(message(e));
      }
    })();
    return () => {
      stop = true;
    };
  }, [id]);
  useEffect(() => heading.current?.focus(), [id]);

  return (
    <>
      <p>
        <a href="/search" onClick={linkHandler("/search")}>
          ← Content search
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        Item {id}
      </h1>
      <ErrorText error={error} />
      {!item && !error && <p aria-live="polite">Loading…</p>}
      {item && (
        <div class="item-view">
          <section class="item-main" aria-labelledby="item-title" data-testid="item">
            <h2 id="item-title">{item.conversation}</h2>
            <dl class="facts">
              <dt>From</dt>
              <dd>{item.author || "—"}</dd>
              <dt>Sent</dt>
              <dd>{when(item.sent, zone)}</dd>
              <dt>Kind</dt>
              <dd>
                {item.kind}
                {item.deleted ? " (deleted)" : ""}
              </dd>
              <dt>Mailboxes</dt>
              <dd>{item.mailboxes.length ? item.mailboxes.join(", ") : "quarantine"}</dd>
              <dt>Message-ID</dt>
              <dd>
                <code>{item.message_id}</code>
              </dd>
              <dt>SHA-256</dt>
              <dd>
                <code class="hash">{item.sha256}</code>
              </dd>
            </dl>
            <MessageBody text={item.text} attachments={item.attachments} />
            {hasRoute(ROUTES.eml) && (
              <p>
                <a class="button" href={items.emlHref(item.item)} download={`item-${item.item}.eml`}>
                  Download .eml
                </a>
              </p>
            )}
          </section>
          {ctx && (
            <section class="chat" aria-labelledby="chat-title" data-testid="conversation">
              <h2 id="chat-title">In the conversation “{title(ctx.conversation) || item.conversation}”</h2>
              <ol class="bubbles">
                {(ctx.before ?? []).map((e) => (
                  <Bubble e={e} current={false} zone={zone} />
                ))}
                <Bubble e={{ ...ctx.item_summary, item: id }} current={true} zone={zone} />
                {(ctx.after ?? []).map((e) => (
                  <Bubble e={e} current={false} zone={zone} />
                ))}
              </ol>
            </section>
          )}
        </div>
      )}
    </>
  );
}

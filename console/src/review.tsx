import { useEffect, useRef, useState } from "preact/hooks";
import { Case, ContextEntry, REVIEW_LIMIT, ReviewHit, SavedSearch, Session, review } from "./api";
import { linkHandler } from "./router";
import { CaseCells } from "./cases";
import { Bubble, HitsTable, MessageBody } from "./search";
import { ErrorText, Notice, message, useLoaded, when } from "./ui";

// The Reviewer's view (review.assigned): the cases the user is added to as a reviewer, each
// case's saved searches, a search's results within the custodians' mailboxes (the route gives
// them all at once, newest first: the page shows them PAGE at a time), and an item with the
// search's other results in its conversation. Only the /api/v1/review routes: a reviewer may not
// search the archive or open its items otherwise. The server audits every search run and every
// item opened, so a search's results are kept while the console is open (going back from an item
// runs nothing again), and "Run again" asks for them anew.

const PAGE = 25;
const AROUND = 5; // results shown before and after an item in its conversation
const enc = encodeURIComponent;
export const reviewHref = (id: string, search?: string, item?: number) =>
  `/review/${enc(id)}` +
  (search === undefined ? "" : `/searches/${enc(search)}`) +
  (item === undefined ? "" : `/items/${item}`);
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

// The last results read, for the session that read them (another sign-in reads its own).
const last = { session: null as Session | null, key: "", hits: null as ReviewHit[] | null, offset: 0 };

function BackLink({ href, label }: { href: string; label: string }) {
  return (
    <p>
      <a href={href} onClick={linkHandler(href)}>
        ← {label}
      </a>
    </p>
  );
}

// The case, if the user reviews it (the reviewer's list is the only way to read one).
function useReviewedCase(id: string) {
  const [c, setCase] = useState<Case | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    setCase(null);
    setError(null);
    review
      .cases()
      .then((l) => {
        if (stop) return;
        const found = l.find((x) => x.id === id);
        if (found) setCase(found);
        else setError(`No case ${id} for you to review.`);
      })
      .catch((e) => !stop && setError(message(e)));
    return () => {
      stop = true;
    };
  }, [id]);
  return { c, error };
}

// A saved search's results: kept from the last read when it was this search's, else read once
// the case is known to have the search (`ready`: no request the server would refuse).
function useResults(session: Session, id: string, search: string, ready: boolean) {
  const key = `${id}\n${search}`;
  const kept = last.session === session && last.key === key ? last : null;
  const [hits, setHits] = useState<ReviewHit[] | null>(kept?.hits ?? null);
  const [offset, setOffsetState] = useState(kept?.offset ?? 0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [again, setAgain] = useState(0);

  useEffect(() => {
    if (!ready) return;
    if (again === 0 && last.session === session && last.key === key && last.hits) {
      setHits(last.hits);
      setOffsetState(last.offset);
      setBusy(false);
      setError(null);
      return;
    }
    let stop = false;
    setBusy(true);
    setError(null);
    review
      .results(id, search)
      .then((h) => {
        Object.assign(last, { session, key, hits: h, offset: 0 });
        if (stop) return;
        setHits(h);
        setOffsetState(0);
      })
      .catch((e) => !stop && setError(message(e)))
      .finally(() => !stop && setBusy(false));
    return () => {
      stop = true;
    };
  }, [key, again, ready]);

  const setOffset = (at: number) => {
    if (last.key === key) last.offset = at;
    setOffsetState(at);
  };
  return { hits, offset, setOffset, busy, error, runAgain: () => setAgain((n) => n + 1) };
}

function CaseFacts({ c }: { c: Case }) {
  return (
    <dl class="facts" data-testid="review-case-facts">
      <dt>Name</dt>
      <dd>{c.name || "—"}</dd>
      <dt>Description</dt>
      <dd>{c.description || "—"}</dd>
      <dt>Status</dt>
      <dd class="status">{c.closed_at ? `closed ${when(c.closed_at)}` : "open"}</dd>
      <dt>Custodians</dt>
      <dd>
        {c.custodians.length
          ? c.custodians.map((x) => `${x.name} (${x.mailboxes.join(", ")})`).join("; ")
          : "none yet"}
      </dd>
    </dl>
  );
}

// ---- /review: the cases the user reviews ---------------------------------------------------------

export function ReviewCases() {
  const { data: list, error } = useLoaded(review.cases, []);

  return (
    <>
      <h1 tabIndex={-1}>Review</h1>
      <p>The eDiscovery cases you are a reviewer of: their saved searches' results and items. What you open is audited.</p>
      <h2>Your cases</h2>
      <ErrorText error={error} />
      {!list && !error && <p aria-live="polite">Loading…</p>}
      {list && list.length === 0 && <p>No case to review: an eDiscovery manager adds you to one.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="review-cases">
          <caption class="visually-hidden">Cases you review</caption>
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Status</th>
              <th scope="col">Custodians</th>
              <th scope="col">Saved searches</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-case={c.id}>
                <CaseCells c={c} href={reviewHref(c.id)} />
                <td>{c.searches.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

// ---- /review/{id}: a case and its saved searches ---------------------------------------------------

export function ReviewCase({ id }: { id: string }) {
  const { c, error } = useReviewedCase(id);
  return (
    <>
      <BackLink href="/review" label="Review" />
      <h1 tabIndex={-1}>Case {id}</h1>
      <ErrorText error={error} />
      {!c && !error && <p aria-live="polite">Loading…</p>}
      {c && (
        <>
          <CaseFacts c={c} />
          <section aria-labelledby="review-searches-title">
            <h2 id="review-searches-title">Saved searches</h2>
            {c.searches.length === 0 ? (
              <p>No saved search yet: the case's eDiscovery manager saves them.</p>
            ) : (
              <table class="list" data-testid="review-searches">
                <caption class="visually-hidden">Saved searches of the case; each opens its results</caption>
                <thead>
                  <tr>
                    <th scope="col">Search</th>
                    <th scope="col">Query</th>
                    <th scope="col">Saved</th>
                  </tr>
                </thead>
                <tbody>
                  {c.searches.map((s) => (
                    <tr key={s.name} data-search={s.name}>
                      <th scope="row">
                        <a href={reviewHref(c.id, s.name)} onClick={linkHandler(reviewHref(c.id, s.name))}>
                          {s.name}
                        </a>
                      </th>
                      <td>
                        <code>{s.query}</code> <span class="counts">(dates in {s.zone})</span>
                      </td>
                      <td>
                        {when(s.saved_at)}
                        <br />
                        <span class="counts">by {s.saved_by || "—"}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}

// ---- /review/{id}/searches/{search}: its results ---------------------------------------------------

export function ReviewResults({ id, search, session }: { id: string; search: string; session: Session }) {
  const { c, error: caseError } = useReviewedCase(id);
  const saved: SavedSearch | undefined = c?.searches.find((s) => s.name === search);
  const { hits, offset, setOffset, busy, error, runAgain } = useResults(session, id, search, saved !== undefined);
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  const page = hits?.slice(offset, offset + PAGE) ?? [];

  function go(at: number) {
    setOffset(at);
    setTimeout(() => resultsHeading.current?.focus(), 0);
  }

  const status = busy
    ? "Running the search…"
    : hits
      ? `${plural(hits.length, "item")} found in the custodians' mailboxes` +
        (hits.length >= REVIEW_LIMIT ? ` (the first ${REVIEW_LIMIT}, newest first)` : "")
      : "";
  return (
    <>
      <BackLink href={reviewHref(id)} label={`Case ${id}`} />
      <h1 tabIndex={-1}>Results of {search}</h1>
      <ErrorText error={caseError} />
      {!c && !caseError && <p aria-live="polite">Loading…</p>}
      {c && !saved && <ErrorText error={`Case ${id} has no saved search ${search}.`} />}
      {saved && (
        <p data-testid="review-query">
          Case {id}, saved search {saved.name}: <code>{saved.query}</code>{" "}
          <span class="counts">
            (dates in {saved.zone}; saved by {saved.saved_by || "—"} {when(saved.saved_at)})
          </span>
        </p>
      )}
      {saved && (
        <div class="toolbar">
          {/* aria-disabled, not disabled: the button keeps the keyboard focus while it runs */}
          <button type="button" class="secondary" aria-disabled={busy} onClick={() => !busy && runAgain()}>
            Run again
          </button>
        </div>
      )}
      <Notice text={status} testid="review-status" />
      <ErrorText error={error} />
      {hits && (
        <section aria-labelledby="review-results-title">
          <h2 id="review-results-title" tabIndex={-1} ref={resultsHeading}>
            Results
          </h2>
          {hits.length === 0 ? (
            <p>Nothing matches in the custodians' mailboxes.</p>
          ) : (
            <>
              <HitsTable
                hits={page}
                zone={saved?.zone}
                caption={`Results of ${search}; each opens its item`}
                href={(item) => reviewHref(id, search, item)}
              />
              {hits.length > PAGE && (
                <nav class="pager" aria-label="Result pages">
                  <button type="button" class="secondary" disabled={offset === 0} onClick={() => go(Math.max(0, offset - PAGE))}>
                    Previous
                  </button>
                  <span>
                    {offset + 1}–{offset + page.length} of {hits.length}
                  </span>
                  <button
                    type="button"
                    class="secondary"
                    disabled={offset + PAGE >= hits.length}
                    onClick={() => go(offset + PAGE)}
                  >
                    Next
                  </button>
                </nav>
              )}
            </>
          )}
        </section>
      )}
    </>
  );
}

// ---- /review/{id}/searches/{search}/items/{item}: an item in its conversation ----------------------

// A result as a message of the chat: its snippet stands for its text (the item view has it all).
const entry = (h: ReviewHit): ContextEntry => ({
  item: h.item,
  author: h.author,
  sent: h.sent,
  kind: h.kind,
  text: h.snippet,
  attachments: [],
  deleted: false,
});

export function ReviewItemView({
  id,
  search,
  item: itemId,
  session,
}: {
  id: string;
  search: string;
  item: number;
  session: Session;
}) {
  const { c, error: caseError } = useReviewedCase(id);
  const saved = c?.searches.find((s) => s.name === search);
  const { hits } = useResults(session, id, search, saved !== undefined);
  const zone = saved?.zone;
  const heading = useRef<HTMLHeadingElement>(null);

  // Asked for once the case is known to be the user's (the server would refuse it otherwise).
  const { data: item, error } = useLoaded(c ? () => review.item(id, itemId) : null, [c, itemId]);
  useEffect(() => heading.current?.focus(), [itemId]);

  // The search's results in the item's conversation, oldest first, a few either side of it.
  let around: { before: ReviewHit[]; after: ReviewHit[] } | null = null;
  if (item && hits) {
    const chat = hits.filter((h) => h.conversation === item.conversation).sort((a, b) => a.sent.localeCompare(b.sent));
    const at = chat.findIndex((h) => h.item === itemId);
    if (at >= 0) around = { before: chat.slice(Math.max(0, at - AROUND), at), after: chat.slice(at + 1, at + 1 + AROUND) };
  }
  const href = (n: number) => reviewHref(id, search, n);

  return (
    <>
      <BackLink href={reviewHref(id, search)} label={`Results of ${search}`} />
      <h1 tabIndex={-1} ref={heading}>
        Item {itemId}
      </h1>
      <ErrorText error={caseError ?? error} />
      {!item && !error && !caseError && <p aria-live="polite">Loading…</p>}
      {item && (
        <div class="item-view">
          <section class="item-main" aria-labelledby="item-title" data-testid="item">
            <h2 id="item-title">{item.conversation}</h2>
            <dl class="facts">
              <dt>Case</dt>
              <dd>{id}</dd>
              <dt>From</dt>
              <dd>{item.author || "—"}</dd>
              <dt>Sent</dt>
              <dd>{when(item.sent, zone)}</dd>
              <dt>Kind</dt>
              <dd>{item.kind}</dd>
            </dl>
            <MessageBody text={item.text} attachments={item.attachments} />
          </section>
          <section class="chat" aria-labelledby="chat-title" data-testid="conversation">
            <h2 id="chat-title">In the conversation “{item.conversation}”</h2>
            <p class="counts">
              The results of {search} in this chat, oldest first ({AROUND} either side at most); each opens as the item.
            </p>
            <ol class="bubbles">
              {around?.before.map((h) => <Bubble key={h.item} e={entry(h)} current={false} zone={zone} href={href} />)}
              <Bubble
                key={itemId}
                e={{ ...item, deleted: false, attachments: item.attachments.map((a) => ({ ...a, size: null })) }}
                current={true}
                zone={zone}
                href={href}
              />
              {around?.after.map((h) => <Bubble key={h.item} e={entry(h)} current={false} zone={zone} href={href} />)}
            </ol>
          </section>
        </div>
      )}
    </>
  );
}

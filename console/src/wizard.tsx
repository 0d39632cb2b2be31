import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, addConnector, webhookUrl } from "./api";
import { Form, MappingFields, SourceFields, Summary, connectorBody, emptyForm, mappingProblems, sourceProblems, useCsvCheck } from "./connector_form";
import { linkHandler, navigate } from "./router";
import { ProblemList } from "./ui";

// "Add connector", as Microsoft 365's WhatsApp Archiver set-up goes: terms, source settings
// and login, user mapping, review, finish. Nothing is saved before Finish; the server checks
// everything again and names the field it refuses.

const STEPS = ["Terms", "Source", "User mapping", "Review"] as const;

export function AddConnector() {
  const [step, setStep] = useState(0);
  const [accepted, setAccepted] = useState(false);
  const [f, setF] = useState<Form>(emptyForm);
  const csvCheck = useCsvCheck(f.csv, f.region);
  const [showProblems, setShowProblems] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [done, setDone] = useState<Form | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((old) => ({ ...old, [k]: v }));

  // Each step's heading takes the focus, so that a screen reader hears where it is.
  useEffect(() => heading.current?.focus(), [step, done]);

  const problems =
    step === 0
      ? accepted
        ? []
        : ["Accept the terms to go on"]
      : step === 1
        ? sourceProblems(f)
        : step === 2
          ? mappingProblems(f, csvCheck)
          : [];

  function next(e: Event) {
    e.preventDefault();
    if (problems.length) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    setStep(step + 1);
  }

  async function finish() {
    setSaving(true);
    setSaveError(null);
    try {
      await addConnector(connectorBody(f));
      // The secrets typed here are not kept in the page once saved.
      setDone({ ...f, secrets: {} });
    } catch (e) {
      setSaveError(e instanceof ApiError ? e.message : "The server could not be reached.");
    } finally {
      setSaving(false);
    }
  }

  if (done) {
    const href = `/connectors/${encodeURIComponent(done.name)}`;
    return (
      <>
        <h1 tabIndex={-1} ref={heading}>
          Connector {done.name} added
        </h1>
        {done.kind === "cloud-api" ? (
          <CloudApiNextSteps name={done.name} />
        ) : (
          <p role="status">It runs on its schedule; “Run now” on the connectors page starts it at once.</p>
        )}
        <p>
          <a href={href} onClick={linkHandler(href)}>
            Open {done.name}
          </a>{" "}
          ·{" "}
          <a href="/connectors" onClick={linkHandler("/connectors")}>
            Back to the connectors
          </a>
        </p>
      </>
    );
  }

  return (
    <>
      <p>
        <a href="/connectors" onClick={linkHandler("/connectors")}>
          ← Data connectors
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        Add a WhatsApp Archiver connector: {STEPS[step]}
      </h1>
      <ol class="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? "step" : undefined} class={i < step ? "done" : ""}>
            {s}
          </li>
        ))}
      </ol>
      <form onSubmit={next} class="wizard" noValidate>
        {step === 0 && (
          <fieldset>
            <legend>Terms of use</legend>
            <p>
              This connector archives WhatsApp conversations of your organisation's users, including messages,
              calls, attachments and deleted messages, into their mailboxes in this archive. You confirm that your
              organisation may collect this data, has told the users concerned, and keeps to the laws and
              WhatsApp's terms that apply to it.
            </p>
            <label class="check">
              <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} />
              I accept these terms
            </label>
          </fieldset>
        )}
        {step === 1 && <SourceFields f={f} set={set} editing={false} />}
        {step === 2 && <MappingFields f={f} set={set} csvCheck={csvCheck} editing={false} />}
        {step === 3 && (
          <section aria-label="Review">
            <Summary f={f} csvCheck={csvCheck} />
            {saveError && (
              <p class="error" role="alert">
                The server refused it: {saveError}
              </p>
            )}
          </section>
        )}
        {showProblems && <ProblemList problems={problems} />}
        <div class="actions">
          {step > 0 && (
            <button type="button" class="secondary" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          {step < 3 ? (
            <button type="submit">Next</button>
          ) : (
            <button type="button" onClick={finish} disabled={saving}>
              {saving ? "Adding…" : "Finish"}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => navigate("/connectors")}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}

// What is left to do in Meta's App Dashboard for a Cloud API connector: register the callback
// URL with the verify token just set, and subscribe to the fields the archive reads.
export function CloudApiNextSteps({ name }: { name: string }) {
  return (
    <section class="card" aria-labelledby="meta-steps">
      <h2 id="meta-steps">Register the webhook with Meta</h2>
      <p role="status">
        Nothing arrives until Meta knows where to send it. In the App Dashboard, WhatsApp › Configuration › Webhook,
        enter:
      </p>
      <dl class="facts">
        <dt>Callback URL</dt>
        <dd>
          <code data-testid="webhook-url">{webhookUrl(name)}</code>
        </dd>
        <dt>Verify token</dt>
        <dd>the verify token you set for this connector</dd>
        <dt>Webhook fields</dt>
        <dd>messages, calls, smb_message_echoes, history</dd>
      </dl>
      <p>The URL must reach this server over HTTPS from the internet (a reverse proxy in front of it is fine).</p>
    </section>
  );
}

import { useEffect, useRef, useState } from "preact/hooks";
import { ConnectorSettings, changeConnector, getConnectorSettings } from "./api";
import {
  Form,
  MappingFields,
  SourceFields,
  Summary,
  connectorBody,
  formFromConnector,
  mappingProblems,
  sourceProblems,
  useCsvCheck,
} from "./connector_form";
import { linkHandler, navigate } from "./router";
import { ErrorText, ProblemList, message } from "./ui";

// Editing a connector: the wizard's source, schedule and mapping forms on one page, filled
// with what the server has. Its name and kind stay (the server refuses a change of either);
// secrets are never shown and are kept unless a new value is typed; a new mapping CSV is
// checked line by line before anything is saved.

export function EditConnector({ name }: { name: string }) {
  const [stored, setStored] = useState<ConnectorSettings | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [f, setF] = useState<Form | null>(null);
  const [showProblems, setShowProblems] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const csvCheck = useCsvCheck(f?.csv ?? "", f?.region ?? "");
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((old) => (old ? { ...old, [k]: v } : old));
  const detail = `/connectors/${encodeURIComponent(name)}`;

  useEffect(() => {
    getConnectorSettings(name)
      .then((c) => {
        setStored(c);
        setF(formFromConnector(c));
      })
      .catch((e) => setLoadError(message(e)));
  }, [name]);

  const secrets = stored?.secrets ?? {};
  const problems = f ? [...sourceProblems(f, secrets), ...mappingProblems(f, csvCheck)] : [];

  async function save(e: Event) {
    e.preventDefault();
    if (!f || !stored) return;
    if (problems.length) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    setSaving(true);
    setSaveError(null);
    try {
      const body = connectorBody(f);
      // A cloud-api connector keeps the schedule it has (it runs on each notification); a
      // paused one stays paused (pause and resume are actions of their own).
      if (f.kind === "cloud-api") body.schedule = stored.schedule;
      await changeConnector({ ...body, paused: stored.paused });
      navigate(detail);
    } catch (err) {
      setSaveError(message(err));
      heading.current?.focus();
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <p>
        <a href={detail} onClick={linkHandler(detail)}>
          ← {name}
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        Edit {name}
      </h1>
      <ErrorText error={loadError} />
      {saveError && (
        <p class="error" role="alert" data-testid="save-error">
          The server refused it: {saveError}
        </p>
      )}
      {f && (
        <form class="wizard" onSubmit={save} noValidate aria-label={`Settings of ${name}`}>
          <SourceFields f={f} set={set} editing stored={secrets} />
          <MappingFields f={f} set={set} csvCheck={csvCheck} editing />
          <section aria-labelledby="edit-summary">
            <h2 id="edit-summary">What will be saved</h2>
            <Summary f={f} csvCheck={csvCheck} stored={secrets} />
          </section>
          {showProblems && <ProblemList problems={problems} />}
          <div class="actions">
            <button type="submit" disabled={saving}>
              {saving ? "Saving…" : "Save changes"}
            </button>
            <button type="button" class="secondary" onClick={() => navigate(detail)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </>
  );
}

// The mapping CSV checked in the page before it is sent, with the rules of src/mapping (its
// README): a header row names the phone and email columns (the same aliases, any case; `;`
// when the header has semicolons and no comma), RFC 4180 quoting, one problem per line. The
// server checks again on saving (with libphonenumber); this is so that a user sees every
// problem of the file at once, by line, before anything is saved.

const PHONE = ["phone", "phone number", "phonenumber", "mobile", "number", "msisdn", "whatsapp"];
const EMAIL = ["email", "e-mail", "mail", "emailaddress", "email address", "upn", "user"];

export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvCheck {
  rows: number;
  problems: CsvProblem[];
}

// Records with the line each starts on; quoted fields may hold separators, quotes ("") and
// line breaks.
function records(text: string, sep: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      any = true;
    } else if (ch === sep) {
      fields.push(field);
      field = "";
      any = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (any || field !== "") out.push({ line: start, fields: [...fields, field] });
      fields = [];
      field = "";
      any = false;
      line++;
      start = line;
    } else {
      field += ch;
      any = true;
    }
  }
  if (any || field !== "") out.push({ line: start, fields: [...fields, field] });
  return out;
}

const EMAIL_RE = /^[^@\s"<>(),;:]+@[^@\s"<>(),;:]+\.[^@\s"<>(),;:.]+$/;

export function checkMappingCsv(raw: string, defaultRegion: string): CsvCheck {
  const text = raw.replace(/^\uFEFF/, "");
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  const sep = firstLine.includes(";") && !firstLine.includes(",") ? ";" : ",";
  const all = records(text, sep);
  if (all.length === 0) return { rows: 0, problems: [{ line: 1, message: "the file is empty" }] };
  const header = all[0].fields.map((h) => h.trim().toLowerCase());
  const phoneCol = header.findIndex((h) => PHONE.includes(h));
  const emailCol = header.findIndex((h) => EMAIL.includes(h));
  if (phoneCol < 0 || emailCol < 0) {
    const looksLikeData = /\d{5}/.test(firstLine) || firstLine.includes("@");
    return {
      rows: 0,
      problems: [
        {
          line: 1,
          message:
            `no ${phoneCol < 0 ? "phone" : "email"} column in the header (${all[0].fields.join(", ")})` +
            (looksLikeData ? "; the first line looks like data: the file needs a header row, e.g. phone,email" : ""),
        },
      ],
    };
  }
  const problems: CsvProblem[] = [];
  const seen = new Map<string, { email: string; line: number }>();
  let rows = 0;
  for (const { line, fields } of all.slice(1)) {
    if (fields.every((f) => f.trim() === "")) continue;
    rows++;
    const need = Math.max(phoneCol, emailCol) + 1;
    if (fields.length < need) {
      problems.push({ line, message: `the row has ${fields.length} field${fields.length === 1 ? "" : "s"}; expected ${need}` });
      continue;
    }
    const phone = fields[phoneCol].trim();
    const email = fields[emailCol].trim();
    const digits = phone.replace(/^tel:/i, "").replace(/\(0\)/g, "").replace(/[\s\-./()\u00a0\u200e\u200f]/g, "");
    if (phone === "") problems.push({ line, message: "phone: empty" });
    else if (!/^(\+|00)?\d+$/.test(digits)) problems.push({ line, message: `phone: "${phone}" is not a phone number` });
    else if (digits.replace(/^(\+|00)/, "").length < 5 || digits.replace(/^(\+|00)/, "").length > 15)
      problems.push({ line, message: `phone: "${phone}" has too few or too many digits` });
    else if (!/^(\+|00)/.test(digits) && !defaultRegion)
      problems.push({ line, message: `phone: "${phone}" is a national number: set a default region (e.g. DE)` });
    if (email === "") problems.push({ line, message: "email: empty" });
    else if (!EMAIL_RE.test(email)) problems.push({ line, message: `email: "${email}" is not an email address` });
    const key = digits.replace(/^00/, "+");
    const before = seen.get(key);
    if (before && before.email.toLowerCase() !== email.toLowerCase())
      problems.push({ line, message: `phone: "${phone}" is mapped on line ${before.line} to ${before.email} already` });
    else if (!before) seen.set(key, { email, line });
  }
  if (rows === 0 && problems.length === 0) problems.push({ line: 2, message: "no rows after the header" });
  return { rows, problems };
}

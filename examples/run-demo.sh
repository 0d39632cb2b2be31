#!/usr/bin/env bash
# `make demo`: reads the bundled sample export (examples/demo-export, written for this
# project) the way a compliance team would, shows what chatvault found, renders every item
# as an email, imports the export with a sample user mapping into a demo archive, and ends
# with the web console running on 127.0.0.1 over that archive, signed in as a demo
# administrator whose generated password it prints (Ctrl-C stops it; DEMO_LISTEN=HOST:PORT
# picks another address, DEMO_SERVE=0 leaves the service out).
set -euo pipefail
chatvault=${1:-build/chatvault}
here=$(cd "$(dirname "$0")" && pwd)
export_dir="$here/demo-export"
out_dir=$(realpath -m "${DEMO_OUT:-$here/../build/demo}")
mkdir -p "$out_dir"

echo "== chatvault parse examples/demo-export --tz Europe/Berlin --format summary"
"$chatvault" parse "$export_dir" --tz Europe/Berlin --format summary
echo
# Warnings were shown in the summary above.
"$chatvault" parse "$export_dir" --tz Europe/Berlin --format jsonl >"$out_dir/items.jsonl" 2>/dev/null
echo "== one item of each kind the reader tells apart"
python3 - "$out_dir/items.jsonl" <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
wanted = [
    ("multi-line message", lambda i: i["kind"] == "message" and "\n" in i["text"] and not i["attachments"]),
    ("attachment in the export", lambda i: any(a["present"] for a in i["attachments"])),
    ("attachment named but missing", lambda i: any(not a["present"] and not a.get("omitted") for a in i["attachments"])),
    ("deleted message", lambda i: i["deleted"]),
    ("edited message", lambda i: i["edited"]),
    ("missed call", lambda i: i["kind"] == "call"),
    ("shared location", lambda i: "location" in i),
    ("wall-clock time in a DST gap", lambda i: "dst" in i),
]
for label, test in wanted:
    item = next((i for i in items if test(i)), None)
    if item:
        print(f"-- {label} (line {item['line']})")
        print(json.dumps(item, ensure_ascii=False))
PY
echo
echo "== chatvault render examples/demo-export --tz Europe/Berlin --out $out_dir/emails"
rm -rf "$out_dir/emails"
"$chatvault" render "$export_dir" --tz Europe/Berlin --out "$out_dir/emails" 2>/dev/null
echo "-- the headers of the email for the message with the attachment"
sed -n '1,/^MIME-Version/p' "$out_dir/emails/0000006.eml"
echo
archive="$out_dir/archive"
rm -rf "$archive"
echo "== chatvault init --archive $archive"
"$chatvault" init --archive "$archive"
echo
echo "== chatvault import examples/demo-export --tz Europe/Berlin --mapping examples/demo-mapping.csv --default-region DE"
echo "     --owner '+49 151 12345678=helena.brandt@bank.example' --owner-name 'Helena Brandt'"
"$chatvault" import "$export_dir" --archive "$archive" --tz Europe/Berlin \
  --mapping "$here/demo-mapping.csv" --default-region DE \
  --owner '+49 151 12345678=helena.brandt@bank.example' --owner-name 'Helena Brandt' 2>/dev/null
echo
echo "== chatvault mailboxes"
"$chatvault" mailboxes --archive "$archive"
echo
echo "== chatvault ls m.okafor@bank.example --limit 6"
"$chatvault" ls m.okafor@bank.example --archive "$archive" --limit 6
echo
echo "== chatvault verify"
"$chatvault" verify --archive "$archive"
echo
echo "All $(wc -l <"$out_dir/items.jsonl") items, one JSON object per line: $out_dir/items.jsonl"
echo "One email per item (open them in any mail client): $out_dir/emails/"
echo "The demo archive: $archive (try: $chatvault show 7 --eml --archive $archive)"
[[ ${DEMO_SERVE:-1} == 0 ]] && exit 0

listen=${DEMO_LISTEN:-127.0.0.1:8080}
echo
echo "== chatvault user add demo-admin --role organization-management"
# There is no default account: the demo administrator gets a generated password, shown once.
"$chatvault" user add demo-admin --role organization-management --archive "$archive"
echo
echo "== chatvault serve --archive $archive --listen $listen"
echo "The web console: http://$listen/ — sign in as demo-admin with the password above."
echo "Ctrl-C stops the service."
exec "$chatvault" serve --archive "$archive" --listen "$listen"

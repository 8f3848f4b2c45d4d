#!/usr/bin/env bash
# docs_config.sh DPTRAIN DOCS_CONFIG_MD: docs/config.md must be exactly what `dptrain docs config`
# prints from the option tables, so no option exists in the code but not in the docs or the other
# way round. On a difference it names the options missing on either side and shows the diff.
set -u
dptrain=$1 doc=$2
tmp=$(mktemp -d /tmp/dptrain-docs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
timeout 60 "$dptrain" docs config > "$tmp/generated.md" 2> "$tmp/err" < /dev/null \
  || { echo "FAIL: dptrain docs config failed:"; cat "$tmp/err"; exit 1; }
[ -f "$doc" ] || { echo "FAIL: $doc is missing; create it with: build/src/dptrain docs config > docs/config.md"; exit 1; }
if cmp -s "$doc" "$tmp/generated.md"; then
  echo "ok: $doc matches the option tables ($(grep -c '^| `' "$doc") options)"
  exit 0
fi
# "section key" for every table row: which options are on one side only.
keys() { awk '/^#/ {section=$0} /^\| `/ {split($0, c, "`"); print section " :: " c[2]}' "$1" | sort; }
keys "$doc" > "$tmp/doc.keys"
keys "$tmp/generated.md" > "$tmp/code.keys"
echo "FAIL: $doc differs from the output of 'dptrain docs config' (the option tables)."
comm -13 "$tmp/doc.keys" "$tmp/code.keys" | sed 's/^/  in the code, not in the docs: /'
comm -23 "$tmp/doc.keys" "$tmp/code.keys" | sed 's/^/  in the docs, not in the code: /'
diff -u "$doc" "$tmp/generated.md" | head -60
echo "Regenerate it with: build/src/dptrain docs config > docs/config.md"
exit 1

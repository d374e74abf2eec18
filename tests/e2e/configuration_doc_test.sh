#!/usr/bin/env bash
# Every flag `socketd --help` lists has help text there and a row in
# docs/configuration.md; every flag the page names exists.
set -euo pipefail

SOCKETD="${TEST_SRCDIR}/${TEST_WORKSPACE}/service/socketd"
DOC="${TEST_SRCDIR}/${TEST_WORKSPACE}/docs/configuration.md"

help="$("$SOCKETD" --help 2>&1 || true)"
# Flag lines look like "    --name (help text ...); default: ...".
flags="$(printf '%s\n' "$help" | sed -n 's/^    --\([a-z_0-9]*\) .*/\1/p' | sort -u)"
count="$(printf '%s\n' "$flags" | grep -c . || true)"
if [[ "$count" -lt 30 ]]; then
  echo "expected socketd --help to list socketd's flags, got $count:" >&2
  printf '%s\n' "$help" >&2
  exit 1
fi

failed=0
for flag in $flags; do
  # Help text: the flag's line opens a parenthesis with words in it.
  # Here-strings, not pipes: grep -q exits at the first match and, under
  # pipefail, the writer's SIGPIPE would fail the check at random.
  if ! grep -q "^    --${flag} ([A-Za-z]" <<<"$help"; then
    echo "--${flag} has no help text in socketd --help" >&2
    failed=1
  fi
  if ! grep -q -- "\`--${flag}\`" "$DOC"; then
    echo "--${flag} is missing from docs/configuration.md" >&2
    failed=1
  fi
done
for named in $(grep -o '`--[a-z_0-9]*`' "$DOC" | tr -d '`' | sed 's/^--//' | sort -u); do
  if ! grep -qx -- "$named" <<<"$flags"; then
    echo "docs/configuration.md names --${named}, which socketd does not have" >&2
    failed=1
  fi
done
[[ "$failed" -eq 0 ]] && echo "configuration_doc_test: all $count flags documented"
exit "$failed"

#!/usr/bin/env bash
# Extract the pages' text into locales/messages.pot and merge it into every catalog.
# New messages arrive untranslated in locales/*/LC_MESSAGES/messages.po: translate them
# there. The service reads the .po files at start; no .mo is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
"$PYBABEL" -q extract -F pyproject.toml --add-location=file --sort-output \
  --project=kefu --copyright-holder="kefu contributors" --no-wrap \
  -o locales/messages.pot .
for catalog in en zh_Hans zh_Hant; do
  if [ -f "locales/$catalog/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" -q update -i locales/messages.pot -d locales -l "$catalog" --no-wrap \
      --ignore-obsolete --init-missing
  else
    "$PYBABEL" -q init -i locales/messages.pot -d locales -l "$catalog" --no-wrap
  fi
done

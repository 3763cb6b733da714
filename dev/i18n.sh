#!/usr/bin/env bash
# Extract UI strings, update the Chinese and English catalogues, compile them.
# Run after changing any _() string; commit the .po and .mo files.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F babel.cfg -k _l -k lazy_gettext -o relief/translations/messages.pot .
for lang in zh en; do
  if [ -f "relief/translations/$lang/LC_MESSAGES/messages.po" ]; then
    pybabel update -i relief/translations/messages.pot -d relief/translations -l "$lang" --no-fuzzy-matching
  else
    pybabel init -i relief/translations/messages.pot -d relief/translations -l "$lang"
  fi
done
pybabel compile -d relief/translations --statistics

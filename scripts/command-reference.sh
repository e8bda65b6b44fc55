#!/usr/bin/env bash
# Regenerates docs/commands.md from the binary's own help (`aslsh help COMMAND`), so the reference
# lists exactly the commands and flags the binary accepts; a test fails when the two disagree.
# usage: scripts/command-reference.sh [path/to/aslsh]   (default .build/release/aslsh)
set -euo pipefail
cd "$(dirname "$0")/.."
aslsh=${1:-.build/release/aslsh}
# The commands in the order `aslsh --help` lists them (by pipeline stage).
mapfile -t commands < <("$aslsh" --help | awk '/^commands by pipeline stage/{on=1; next} /^session directives:/{on=0} on && /^  [a-z]/{print $1}')
{
  echo "# Command reference"
  echo
  echo "Every command's page as \`aslsh help COMMAND\` prints it (also \`aslsh COMMAND --help\`,"
  echo "\`COMMAND --help\` in a cell and \`:help COMMAND\` in the shell). The flag conventions shared by"
  echo "all commands are in [conventions.md](conventions.md). This page is generated from the binary by"
  echo "\`scripts/command-reference.sh\`; a test fails when it and the binary disagree."
  echo
  echo "| stage | commands |"
  echo "|---|---|"
  "$aslsh" --help | awk '/^commands by pipeline stage/{on=1; next} /^session directives:/{on=0}
    on && /^[a-z].*:$/ {if (row) print row " |"; sub(":$", ""); row="| " $0 " |"; sep=""; next}
    on && /^  [a-z]/ {row = row sep " [`" $1 "`](#" $1 ")"; sep=","}
    END {if (row) print row " |"}'
  for c in "${commands[@]}"; do
    echo
    echo "## \`$c\`"
    echo
    echo '```text'
    "$aslsh" help "$c"
    echo '```'
  done
} > docs/commands.md.tmp
mv docs/commands.md.tmp docs/commands.md
echo "docs/commands.md regenerated (${#commands[@]} commands)"

#!/bin/sh
# Installs, upgrades or removes the notes tool for the current user.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${PREFIX:-$HOME/.local}"
case "${1:-install}" in
  install)
    mkdir -p "$prefix/bin"
    cp "$here/notes" "$prefix/bin/.notes.new"
    chmod 755 "$prefix/bin/.notes.new"
    mv "$prefix/bin/.notes.new" "$prefix/bin/notes"
    echo "installed notes $("$prefix/bin/notes" --version) to $prefix/bin"
    ;;
  uninstall)
    rm -f "$prefix/bin/notes"
    echo "removed notes (your notes in ~/.notes are kept)"
    ;;
  *)
    echo "usage: install.sh [install|uninstall]" >&2
    exit 64
    ;;
esac

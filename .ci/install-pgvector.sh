#!/usr/bin/env bash
# PostgreSQL 15 + pgvector for tests/repo/test_pgvector.py (docs/pgvector.md). Idempotent: does nothing when the
# extension is installed. Debian 12 ships no pgvector binary package, so where apt has none this builds Debian's
# own source package (the next release's, 0.8.0) against postgresql-server-dev-15 (~25 s). Needs root and apt.
set -euo pipefail
PG=15
control=/usr/share/postgresql/$PG/extension/vector.control
if [ -f "$control" ] && [ -x /usr/lib/postgresql/$PG/bin/initdb ]; then
    echo "pgvector: already installed"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if apt-cache show "postgresql-$PG-pgvector" >/dev/null 2>&1; then
    apt-get install -y -qq "postgresql-$PG" "postgresql-$PG-pgvector" >/dev/null
    echo "pgvector: installed postgresql-$PG-pgvector"; exit 0
fi
apt-get install -y -qq "postgresql-$PG" "postgresql-server-dev-$PG" build-essential >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The same Debian mirror this machine's apt already uses, with the source list of the release that packages pgvector.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$work/src.sources"
apt_src=(-o "Dir::Etc::sourcelist=$work/src.sources" -o "Dir::Etc::sourceparts=-" -o "APT::Get::List-Cleanup=0")
apt-get "${apt_src[@]}" update -qq
(cd "$work" && apt-get "${apt_src[@]}" source --download-only pgvector >/dev/null 2>&1)
tar -xzf "$work"/pgvector_*.orig.tar.gz -C "$work"
make -s -C "$work"/pgvector-*/ PG_CONFIG=/usr/lib/postgresql/$PG/bin/pg_config OPTFLAGS="" >/dev/null
make -s -C "$work"/pgvector-*/ PG_CONFIG=/usr/lib/postgresql/$PG/bin/pg_config install >/dev/null
echo "pgvector: built from Debian's source package $(basename "$work"/pgvector_*.dsc .dsc)"

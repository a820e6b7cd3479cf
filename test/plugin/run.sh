#!/bin/sh
# test/plugin/run.sh -- the compiled-plugin test.
#
# Proves that a third party can build a cq_fdw plugin out of tree with PGXS
# and the INSTALLED SDK header, and that the SDK loads it or refuses it:
#   1. copies sources/example to a temporary directory (out of tree) twice;
#   2. builds it there with PGXS against $(includedir_server)/extension/
#      cq_fdw/cq_sdk.h: once normally, once with ABI=999;
#   3. installs the good build into $(pkglibdir)/cq_fdw/ (where the FDW's
#      source registry loads plugins from);
#   4. builds the SDK (out of tree) and a small loader program, and checks
#      that cq_plugin_load accepts the installed plugin (spec, hook) and
#      refuses the ABI-999 one with the "rebuild" message.
#
# Usage: test/plugin/run.sh [--install-header]
#   --install-header   first install src/sdk/cq_sdk.h where `make install`
#                      puts it, for when cq_fdw is not installed yet.
# Environment: PG_CONFIG (default pg_config), CC (default cc), KEEP=1 keeps
# the temporary directory.  Prints PASS or FAIL last; exit status 0 on PASS.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
CC=${CC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cq_plugin.XXXXXX") || exit 1
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: test/plugin: $*"; exit 1; }
step() { echo "== $*"; }

INCDIR="$($PG_CONFIG --includedir-server)/extension/cq_fdw"
PLUGDIR="$($PG_CONFIG --pkglibdir)/cq_fdw"

if [ "${1:-}" = "--install-header" ]; then
	# what the top Makefile's install-sources rule does for the header
	step "installing cq_sdk.h into $INCDIR"
	install -d "$INCDIR" && install -m 644 "$TOP/src/sdk/cq_sdk.h" "$INCDIR/" ||
		fail "could not install cq_sdk.h"
fi
[ -f "$INCDIR/cq_sdk.h" ] ||
	fail "$INCDIR/cq_sdk.h is not installed: run 'make install' (or this script with --install-header)"
cmp -s "$INCDIR/cq_sdk.h" "$TOP/src/sdk/cq_sdk.h" ||
	echo "warning: the installed cq_sdk.h differs from src/sdk/cq_sdk.h (reinstall cq_fdw to test this tree)"

step "building sources/example out of tree in $TMP"
cp -R "$TOP/sources/example" "$TMP/good" && cp -R "$TOP/sources/example" "$TMP/bad" || fail "copy"
rm -f "$TMP"/good/*.o "$TMP"/good/*.so "$TMP"/bad/*.o "$TMP"/bad/*.so
make -C "$TMP/good" PG_CONFIG="$PG_CONFIG" >"$TMP/good.log" 2>&1 ||
	{ cat "$TMP/good.log"; fail "building the example plugin failed"; }
# out of tree for real: no include path into the source tree
grep -q -- "-I$TOP" "$TMP/good.log" && fail "the build used the source tree's headers"
grep -q -- "-I$INCDIR" "$TMP/good.log" || fail "the build did not use the installed header"
make -C "$TMP/bad" PG_CONFIG="$PG_CONFIG" ABI=999 >"$TMP/bad.log" 2>&1 ||
	{ cat "$TMP/bad.log"; fail "building the ABI=999 variant failed"; }
[ -f "$TMP/good/cq_example.so" ] && [ -f "$TMP/bad/cq_example.so" ] || fail "no cq_example.so built"
nm -D --defined-only "$TMP/good/cq_example.so" | grep -q ' cq_plugin_describe$' ||
	fail "cq_example.so does not export cq_plugin_describe"

step "installing the plugin into $PLUGDIR"
make -C "$TMP/good" PG_CONFIG="$PG_CONFIG" install >"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log"; fail "make install of the plugin failed"; }
[ -f "$PLUGDIR/cq_example.so" ] || fail "$PLUGDIR/cq_example.so not installed"

step "loading it with the SDK"
make -s -C "$TOP/src/sdk" BUILD="$TMP/sdk" "$TMP/sdk/libcqsdk.a" >"$TMP/sdk.log" 2>&1 ||
	{ cat "$TMP/sdk.log"; fail "building the SDK failed"; }
$CC -std=gnu11 -Wall -Wextra -Werror -I"$TOP/src/sdk" -o "$TMP/load_plugin" \
	"$TOP/test/plugin/load_plugin.c" "$TMP/sdk/libcqsdk.a" -lcurl -ljansson -lpthread -ldl -lm ||
	fail "building the loader failed"
"$TMP/load_plugin" good "$PLUGDIR/cq_example.so" || fail "the installed plugin did not load correctly"
"$TMP/load_plugin" bad "$TMP/bad/cq_example.so" || fail "the ABI-999 plugin was not refused correctly"

echo "PASS: test/plugin"

#!/bin/sh
# tools/embed.sh IN OUT: the bytes of IN as a C initializer list in OUT
# (the dashboard, built into the module); OUT is left alone when unchanged
# so that nothing is compiled again for nothing.
set -eu
tmp="$2.tmp.$$"
od -An -v -tx1 < "$1" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' > "$tmp"
if cmp -s "$tmp" "$2" 2>/dev/null; then
    rm -f "$tmp"
else
    mv "$tmp" "$2"
fi

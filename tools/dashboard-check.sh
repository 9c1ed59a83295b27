#!/bin/bash
# Load the admin dashboard in headless Chromium, keep what it rendered, and
# check it.
#
#   tools/dashboard-check.sh URL TOKEN OUTDIR [--expect TEXT]...
#       [--reject TEXT]... [--expect-error TEXT]
#
# URL is the dashboard's (http://127.0.0.1:8080/llmgw/admin/dashboard); the
# page is opened as URL#token=TOKEN (the page moves the token into its
# sessionStorage and clears the fragment), once with --dump-dom and once
# with --screenshot, each in a fresh profile, letting the page run for
# DASHBOARD_BUDGET ms of virtual time (default 5000).  Writes
# OUTDIR/dashboard.html (the DOM after the data came in),
# OUTDIR/dashboard.png (DASHBOARD_WINDOW, default 1400,1000) and
# OUTDIR/chromium.log, and prints the screenshot's path.
#
# Fails (exit 1, saying what is wrong on stderr) when the screenshot is
# missing or empty, when the page did not reach body[data-state="ready"],
# when #error is not empty, when the rendered page lacks any --expect TEXT
# or holds any --reject TEXT.  TEXT is looked for in the page without its
# <script> and <style>: in the markup as Chromium dumped it (so
# `data-key-id="ci-bot"` works, and `&lt;img` shows markup from the API was
# kept as text) and in its text (entities decoded, tags removed, spaces
# collapsed).  With
# --expect-error TEXT the page must instead show an error holding TEXT
# (a 401 for a bad token, say).  Exit 2 for a usage error or no Chromium.
#
# Chromium is Debian's `chromium`, installed through `make deps` when
# missing (CHROMIUM_BIN: another binary).  Runs as root too (--no-sandbox).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
budget=${DASHBOARD_BUDGET:-5000}
window=${DASHBOARD_WINDOW:-1400,1000}

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
    exit "${1:-0}"
}

[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && usage 0
[ $# -ge 3 ] || usage 2 >&2
url=${1%%#*}
token=$2
out=$3
shift 3

checks=()
while [ $# -gt 0 ]; do
    case $1 in
        --expect|--reject|--expect-error)
            [ $# -ge 2 ] || { echo "dashboard-check: $1 needs a TEXT" >&2; exit 2; }
            checks+=("${1#--}" "$2"); shift 2 ;;
        --expect=*|--reject=*|--expect-error=*)
            o=${1%%=*}; checks+=("${o#--}" "${1#*=}"); shift ;;
        -h|--help) usage 0 ;;
        *) echo "dashboard-check: unknown argument $1" >&2; usage 2 >&2 ;;
    esac
done

chromium=${CHROMIUM_BIN:-}
if [ -z "$chromium" ]; then
    command -v chromium >/dev/null || make -s -C "$top" deps EXTRA_PACKAGES=chromium
    chromium=$(command -v chromium) || {
        echo "dashboard-check: no chromium (apt-get install chromium)" >&2; exit 2; }
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
dom=$out/dashboard.html
png=$out/dashboard.png
log=$out/chromium.log
rm -f "$dom" "$png"
: > "$log"

# the token percent-encoded for the fragment (the page decodes it)
enc=$(printf '%s' "$token" | perl -pe 's/([^A-Za-z0-9._~-])/sprintf("%%%02X", ord $1)/ge')
page="$url#token=$enc"

run_chromium() {
    local profile rc=0
    profile=$(mktemp -d /tmp/dashboard-check.XXXXXX)
    # the wrapper of Debian's chromium reads CHROMIUM_FLAGS too
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
        --no-first-run --no-default-browser-check --disable-extensions \
        --disable-dev-shm-usage --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars \
        --mute-audio --user-data-dir="$profile" \
        --virtual-time-budget="$budget" --window-size="$window" \
        "$@" "$page" 2>>"$log" || rc=$?
    rm -rf "$profile"
    return $rc
}

echo "== dump-dom" >> "$log"
run_chromium --dump-dom > "$dom" || echo "dashboard-check: chromium --dump-dom failed (exit $?), see $log" >&2
echo "== screenshot" >> "$log"
# --screenshot writes into the working directory when given no path
(cd "$out" && run_chromium --screenshot="$png" >> "$log") \
    || echo "dashboard-check: chromium --screenshot failed (exit $?), see $log" >&2

status=0
if [ ! -s "$png" ]; then
    echo "dashboard-check: no screenshot at $png (see $log)" >&2
    status=1
elif [ "$(head -c 4 "$png" | od -An -tx1 | tr -d ' \n')" != 89504e47 ]; then
    echo "dashboard-check: $png is not a PNG" >&2
    status=1
fi

# what Chromium says when the URL does not answer
grep -o 'Page load failed: .*' "$log" | sort -u | sed 's/^/dashboard-check: /' >&2 || true

if [ ! -s "$dom" ]; then
    echo "dashboard-check: Chromium dumped no DOM (see $log)" >&2
    status=1
else
    perl - "$dom" "${checks[@]+"${checks[@]}"}" <<'PERL' || status=1
use strict;
use warnings;
binmode STDERR, ':encoding(UTF-8)';

my $file = shift;
open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!\n";
my $html = do { local $/; <$fh> };
close $fh;

sub decode {
    my $s = shift;
    $s =~ s/&nbsp;/ /g;
    $s =~ s/&lt;/</g;
    $s =~ s/&gt;/>/g;
    $s =~ s/&quot;/"/g;
    $s =~ s/&#39;/'/g;
    $s =~ s/&#x([0-9a-fA-F]+);/chr hex $1/ge;
    $s =~ s/&#(\d+);/chr $1/ge;
    $s =~ s/&amp;/&/g;
    return $s;
}
sub squeeze { my $s = shift; $s =~ s/\s+/ /g; $s =~ s/^ | $//g; return $s }

# the page without its code: its own strings must not count as rendered
(my $page = $html) =~ s{<(script|style)\b[^>]*>.*?</\1>}{}gis;
my $text_sp = squeeze(decode($page =~ s/<[^>]*>/ /gr));
my $text    = squeeze(decode($page =~ s/<[^>]*>//gr));
my $found = sub {
    my $t = shift;
    return index($page, $t) >= 0
        || index($text, squeeze($t)) >= 0 || index($text_sp, squeeze($t)) >= 0;
};

my ($state) = $page =~ /<body\b[^>]*\bdata-state="([^"]*)"/i;
$state //= '(none)';
my ($error) = $page =~ m{<div\b[^>]*\bid="error"[^>]*>(.*?)</div>}is;
$error = defined $error ? squeeze(decode($error =~ s/<[^>]*>/ /gr)) : '';

my @bad;
my @want_error;
while (@ARGV) {
    my ($kind, $t) = splice @ARGV, 0, 2;
    if ($kind eq 'expect') {
        push @bad, "missing: $t" unless $found->($t);
    } elsif ($kind eq 'reject') {
        push @bad, "present but rejected: $t" if $found->($t);
    } else {
        push @want_error, $t;
    }
}

if (@want_error) {
    push @bad, "#error is empty, expected an error" if $error eq '';
    for my $t (@want_error) {
        push @bad, "#error lacks: $t (it says: $error)"
            if $error ne '' && index($error, squeeze($t)) < 0;
    }
} else {
    push @bad, "#error: $error" if $error ne '';
    push @bad, "the page did not get ready: body data-state=\"$state\""
        if $state ne 'ready';
}

if (@bad) {
    print STDERR "dashboard-check: $file:\n", map { "  $_\n" } @bad;
    exit 1;
}
PERL
fi

[ -s "$png" ] && echo "$png"
exit $status

#!/usr/bin/perl
# llmgw bench: instructions per request from the callgrind dumps that
# bench/run.sh leaves in DIR (DIR/plain.N and DIR/GATEWAY.N, one per case,
# named by their "Trigger: dump CASE" line), N requests each.
#
#   plain, llmgw  the whole nginx process, per request
#   added         llmgw minus plain: everything the gateway costs, the
#                 proxy_pass with variables and the longer header list too
#   in module     what runs under the module's own functions: their self
#                 cost plus what they call outside the module (libc,
#                 OpenSSL, hiredis, nginx's pool and list functions; less
#                 what that calls back in the module), except where
#                 they hand back to nginx: reading the body
#                 (ngx_http_read_client_request_body, which plain nginx
#                 does too), running the phases, finalizing, and the next
#                 header and body filters (nginx's static functions, which
#                 the module reaches only through the filter chain).
#                 The inclusive cost of llmgw_access_handler or of the
#                 filters would count all of the proxying and writing.
# Below each case, where "in module" goes, biggest first: a module
# function with all it runs in the module (calls to module functions that
# hand back to nginx count in proportion), or "caller > callee", a call out
# of the module.
# callgrind_annotate's inclusive view of each dump is in DIR/*.txt.
use strict;
use warnings;

my ($dir, $n) = @ARGV;
my $module = qr/ngx_http_llmgw_module\.so$/;
my $handback = qr/^(ngx_http_read_client_request_body|ngx_http_core_run_phases
    |ngx_http_finalize_request|ngx_http_output_filter|ngx_http_send_header)$/x;

sub parse {                     # callgrind file -> case, total, {item => Ir}
    my ($file) = @_;
    my (%ob, %fl, %fn, %obj, %file, %self, %edge, $case, $total);
    my ($ob, $fl, $fn, $cob, $cfn, $call) = ('', '', '', undef, '', 0);
    my $name = sub {            # "(id) name" defines, "(id)" refers
        my ($tab, $s) = @_;
        return $s unless $s =~ /^\((\d+)\)\s*(.*)$/;
        $tab->{$1} = $2 if length $2;
        return $tab->{$1};
    };
    my $id = sub {              # functions by id: names repeat (statics)
        my $s = shift;
        return $s unless $s =~ /^\((\d+)\)\s*(.*)$/;
        $fn{$1} = $2 if length $2;
        return $1;
    };

    open my $f, '<', $file or die "cg.pl: $file: $!\n";
    while (<$f>) {
        if (/^desc: Trigger: dump (\S+)/) { $case = $1 }
        elsif (/^summary: (\d+)/) { $total = $1 }
        elsif (/^ob=(.*)/) { $ob = $name->(\%ob, $1) }
        elsif (/^fl=(.*)/) { $fl = $name->(\%fl, $1) }
        elsif (/^(?:fi|fe|cfi|cfl)=(.*)/) { $name->(\%fl, $1) }
        elsif (/^cob=(.*)/) { $cob = $name->(\%ob, $1) }
        elsif (/^fn=(.*)/) { $fn = $id->($1); $obj{$fn} = $ob; $file{$fn} = $fl }
        elsif (/^cfn=(.*)/) { $cfn = $id->($1) }
        elsif (/^calls=/) { $call = 1 }
        elsif (/^[-+*\d]/) {
            my $ir = (split)[1] // 0;
            if ($call) {
                $edge{$fn}{$cfn} += $ir;
                $obj{$cfn} //= $cob // $ob;
                ($call, $cob) = (0, undef);
            } else {
                $self{$fn} += $ir;
            }
        }
    }
    close $f;

    # "in module": exact, the self cost of each module function and the
    # calls it makes out of the module.  Per function, its inclusive cost
    # in the module: a call to a module function counts in the proportion
    # of that function's cost that stays in the module.
    my (%item, %incl, %mod);
    my %files;                  # names that more than one file defines
    $files{ $fn{$_} // $_ }{ $file{$_} // '' } = 1 for keys %obj;
    my $bare = sub {            # "name", "file.c:name" if it repeats
        (my $s = $fn{$_[0]} // $_[0]) =~ s/'\d+$//;
        my $n = keys %{ $files{ $fn{$_[0]} // $_[0] } || {} };
        (my $f = $file{$_[0]} // '') =~ s{.*/}{};
        return $n > 1 && $obj{$_[0]} =~ $module ? "$f:$s" : $s;
    };
    my $out = sub {             # a call out of the module that counts?
        my $o = $obj{$_[0]} // '';
        return $o =~ m{/} && $o !~ $module && $bare->($_[0]) !~ $handback
               && $bare->($_[0]) !~ /^0x/;
    };
    my $total_of = sub {
        my $t = $self{$_[0]} // 0;
        $t += $_ for values %{ $edge{$_[0]} || {} };
        return $t;
    };
    my ($back, %back);          # of an outside function's cost: what
    $back = sub {               # runs in module functions it calls back
        my ($fn) = @_;
        return $back{$fn} if defined $back{$fn};
        $back{$fn} = 0;
        my $sum = 0;
        for my $g (keys %{ $edge{$fn} || {} }) {
            if (($obj{$g} // '') =~ $module) {
                $sum += $edge{$fn}{$g};
            } else {
                my $t = $total_of->($g);
                $sum += $edge{$fn}{$g} * $back->($g) / $t if $t;
            }
        }
        return $back{$fn} = $sum;
    };
    my $call_out = sub {        # a call out of the module, less callbacks
        my ($fn, $g) = @_;
        my $t = $total_of->($g);
        return $edge{$fn}{$g} * ($t ? 1 - $back->($g) / $t : 1);
    };
    my $in;
    $in = sub {
        my ($fn) = @_;
        return $incl{$fn} if defined $incl{$fn};
        $incl{$fn} = 0;         # a cycle counts once
        my $sum = $self{$fn} // 0;
        for my $g (keys %{ $edge{$fn} || {} }) {
            if (($obj{$g} // '') =~ $module) {
                my $t = $total_of->($g);
                $sum += $edge{$fn}{$g} * $in->($g) / $t if $t;
            } elsif ($out->($g)) {
                $sum += $call_out->($fn, $g);
            }
        }
        return $incl{$fn} = $sum;
    };
    for my $fn (grep { $obj{$_} =~ $module } keys %obj) {
        $mod{total} += $self{$fn} // 0;
        $item{$bare->($fn)} += $in->($fn);
        for my $g (grep { $out->($_) } keys %{ $edge{$fn} || {} }) {
            my $c = $call_out->($fn, $g);
            $mod{total} += $c;
            $item{$bare->($fn) . ' > ' . $bare->($g)} += $c;
        }
    }
    $item{''} = $mod{total};
    return ($case, $total, \%item);
}

my (%total, %items, @cases);
for my $file (glob "$dir/*.[0-9]*") {
    my ($srv) = $file =~ m{([^/]+)\.\d+$} or next;
    my ($case, $total, $item) = parse($file);
    next unless defined $case;
    my $side = $srv eq 'plain' ? 'plain' : 'gateway';
    $total{$side}{$case} = $total;
    $items{$case} = $item if $side eq 'gateway';
    push @cases, [$file =~ /(\d+)$/, $case] if $side eq 'plain';
    system("callgrind_annotate --inclusive=yes $file > $dir/$srv.$case.txt");
}
@cases = map { $_->[1] } sort { $a->[0] <=> $b->[0] } @cases;

sub num { my $s = sprintf '%.0f', $_[0]; 1 while $s =~ s/^(-?\d+)(\d{3})/$1,$2/; $s }

printf "%-14s %9s %9s %9s %10s   instructions per request\n",
       'case', 'plain', 'llmgw', 'added', 'in module';
for my $case (@cases) {
    my $item = $items{$case} or next;
    my $mod = delete $item->{''};
    my ($p, $l) = map { $total{$_}{$case} / $n } qw(plain gateway);
    printf "%-14s %9s %9s %9s %10s\n", $case, num($p), num($l), num($l - $p),
           num($mod / $n);
    my @top = sort { $item->{$b} <=> $item->{$a} } keys %$item;
    for my $k (@top[0 .. ($#top < 11 ? $#top : 11)]) {
        last if $item->{$k} < $mod / 50;
        printf "%44s %4.0f%%  %s\n", num($item->{$k} / $n),
               100 * $item->{$k} / $mod, $k;
    }
}
print "callgrind_annotate --inclusive=yes of each dump: $dir/*.txt\n";

package Test::Nginx::Socket;

# A compact stand-in for openresty's Test::Nginx::Socket, used only when the
# real module is not installed (it is not packaged in Debian).  It reads the
# same test-file format with the same semantics and test names; see
# t/000-runner.t for the supported sections.  Built on Test::Base (as the real
# module is), HTTP::Response (libwww-perl) and core modules.

use strict;
use warnings;
use Test::Base -base;
use Time::HiRes qw(sleep time);
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use IO::Select ();
use POSIX qw(EAGAIN EWOULDBLOCK EINTR WNOHANG);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use File::Temp qw(tempfile);
use List::Util qw(shuffle min);
use HTTP::Response ();
use Text::Diff ();

our $VERSION = '0.33';

sub check_error_log ($$$$);
sub cleanup ();

our @EXPORT = qw( env_to_nginx is_str plan run_tests run_test
  repeat_each config_preamble worker_connections master_process_enabled
  no_long_string workers master_on master_off log_level no_shuffle
  no_root_location use_hup server_name server_addr server_root html_dir
  server_port server_port_for_client timeout no_nginx_manager
  check_accum_error_log add_block_preprocessor bail_out
  add_test_cleanup_handler add_cleanup_handler add_response_body_check );

# ---- settings (same names, environment variables and defaults as the real one)
our $NginxBinary   = $ENV{TEST_NGINX_BINARY}
    || (grep { -x "$_/nginx" } split /:/, $ENV{PATH} // '') && 'nginx'
    || '/usr/sbin/nginx';
our $LoadModules   = $ENV{TEST_NGINX_LOAD_MODULES};
our $Timeout       = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $LogLevel      = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled = 'on';
our $ServerPort    = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr    = '127.0.0.1';
our $ServerName    = 'localhost';
our $Workers       = 1;
our $WorkerConnections = 64;
our $RepeatEach    = 1;
our $NoShuffle     = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation = 0;
our $NoLongString;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $ForceRestartOnTest = $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} // 1;
our $TestNginxSleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ConfigPreamble = '';
our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers, @TestCleanupHandlers,
     @ResponseBodyChecks);
our ($NginxVersion, $NginxRawVersion, $PrevConfig, $ErrLogFilePos, $RandPorts,
     $InSubprocess, $TcpServerPid, $StartedNginx, $Starting);

our $ServRoot   = $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
our $CacheDir   = "$ServRoot/cache";

# the real module keeps these in Test::Nginx::Util; alias them there too
{
    no strict 'refs';
    *{"Test::Nginx::Util::$_"} = \${"Test::Nginx::Socket::$_"} for qw(
        NginxBinary Timeout LogLevel ServerPort ServerPortForClient ServerAddr
        ServerName RepeatEach NoLongString NginxVersion ServRoot LogDir
        ErrLogFile AccLogFile HtmlDir ConfDir ConfFile PidFile RandPorts);
}

# ---- configuration functions
sub repeat_each (@)        { $RepeatEach = shift if @_; $RepeatEach }
sub workers (@)            { @_ ? ($Workers = shift) : $Workers }
sub worker_connections (@) { @_ ? ($WorkerConnections = shift) : $WorkerConnections }
sub log_level (@)          { @_ ? ($LogLevel = shift) : $LogLevel }
sub timeout (@)            { @_ ? ($Timeout = shift) : $Timeout }
sub server_port (@)        { @_ ? ($ServerPort = shift) : $ServerPort }
sub server_port_for_client (@) { @_ ? ($ServerPortForClient = shift) : $ServerPortForClient }
sub server_addr (@)        { @_ ? ($ServerAddr = shift) : $ServerAddr }
sub server_name (@)        { @_ ? ($ServerName = shift) : $ServerName }
sub master_on ()           { $MasterProcessEnabled = 'on' }
sub master_off ()          { $MasterProcessEnabled = 'off' }
sub master_process_enabled (@) {
    @_ ? ($MasterProcessEnabled = shift() ? 'on' : 'off') : $MasterProcessEnabled
}
sub no_shuffle ()          { $NoShuffle = 1 }
sub no_root_location ()    { $NoRootLocation = 1 }
sub no_long_string ()      { $NoLongString = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub config_preamble ($)    { $ConfigPreamble = shift }
sub html_dir ()            { $HtmlDir }
sub server_root ()         { $ServRoot }
sub use_hup ()             { }   # HUP reload mode is not implemented: ignored
sub no_nginx_manager ()    { }   # ditto
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)      { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }
sub add_response_body_check ($)  { push @ResponseBodyChecks, shift }

sub env_to_nginx (@) {
    Carp::croak("env_to_nginx: no arguments specified") unless @_;
    for my $v (@_) {
        Carp::croak("env_to_nginx: bad argument value: $v\n")
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# string comparison; multi-line mismatches are shown as a unified diff
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    return Test::More::like($got, $expected, $desc) if ref $expected eq 'Regexp';
    if ($NoLongString || !defined $got || !defined $expected
        || $got eq $expected || ($got . $expected) !~ /\n./s)
    {
        return Test::More::is($got, $expected, $desc);
    }
    Test::More::ok(0, $desc);
    Test::More::diag(Text::Diff::diff(\$expected, \$got,
                                      { STYLE => 'Unified' }));
    return 0;
}

sub parse_time ($) {
    my $t = shift;
    return $t unless defined $t;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^(.*\d)ms$/;
    $t =~ s/(\d)s$/$1/;
    return $t;
}

sub fmt_str ($) {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g;
    return $s;
}

# a zombie (exited, not yet reaped by init) does not count as running
sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill 0, $pid;
    open my $in, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$in> // '';
    return $stat !~ /^\d+ \(.*\) [ZX] /s;
}

sub gen_rand_port ($) {
    my $used = shift;
    for (1 .. 1000) {
        my $port = int(rand 63547) + 1988;
        next if $used->{$port};
        my $s = IO::Socket::INET->new(LocalAddr => $ServerAddr, LocalPort => $port,
                                      Proto => 'tcp', Listen => 5, ReuseAddr => 1)
            or next;
        close $s;
        return $port;
    }
    return undef;
}

# $TEST_NGINX_FOO -> $ENV{TEST_NGINX_FOO}; $TEST_NGINX_RAND_PORT_N -> a free port
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return $text if !defined $text || ref $text;
    $rand_ports ||= {};
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            $rand_ports->{$var} = gen_rand_port({ $ServerPort => 1,
                                                  map { $_ => 1 } values %$rand_ports })
                // bail_out("$name - Cannot find an available listening port number for $var.\n")
                unless defined $rand_ports->{$var};
            $rand_ports->{$var};
        } else {
            defined $ENV{$var} or bail_out("$name - No environment $var defined.\n");
            $ENV{$var};
        }
    }eg;
    return $text;
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    bail_out("Failed to get the version of the Nginx in PATH: " . ($out // ''))
        if !defined $out || $? != 0;
    $out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        or bail_out("Failed to parse the output of \"nginx -V\": $out\n");
    $NginxRawVersion = "$1.$2.$3";
    return sprintf "%d.%03d%03d", $1, $2, $3;
}

# ---- server root, user files, nginx.conf
# TEST_NGINX_LOG_ARCHIVE (this runner only): every block's logs are
# appended there, one file per suite and log, before the next block's
# server root replaces them; `make test` greps them for secrets.  nginx's
# own debug entries (and their continuation lines) are left out: gigabytes
# of them, and nginx logs headers there by design; the module's ("llmgw"
# first) are kept.
sub archive_logs () {
    my $dir = $ENV{TEST_NGINX_LOG_ARCHIVE} or return;
    -d $LogDir && !-e "$LogDir/.archived" or return;
    (my $suite = $0) =~ s{.*/}{};
    for my $log (glob "$LogDir/*.log") {
        (my $name = $log) =~ s{.*/}{};
        open my $in, '<', $log or next;
        open my $out, '>>', "$dir/$suite.$name" or bail_out("$dir: $!");
        my $skip = 0;
        while (my $line = <$in>) {
            if ($line =~ m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(\S*)}) {
                $skip = $1 eq 'debug' && $2 !~ /^llmgw/;
            }
            print $out $line unless $skip;
        }
        close $out;
    }
    if (open my $mark, '>', "$LogDir/.archived") {
        close $mark;
    }
}

sub setup_server_root () {
    archive_logs();
    if (-d $ServRoot) {
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"),
                    $CacheDir, $HtmlDir, $LogDir);
        rmdir $ServRoot or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        mkdir $d or bail_out("Failed to do mkdir $d\n");
    }
    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("Can't open $HtmlDir/index.html for writing: $!\n");
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
}

sub write_user_files ($) {
    my $block = shift;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;
    if (!ref $files) {
        my @list;
        for my $line (split /^/m, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }
    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        make_path($1) if $path =~ m{(.*)/} && !-d $1;
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out expand_env_in_text($body // '', $name, $RandPorts);
        close $out;
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("Failed to run shell command: touch $path\n");
        }
    }
}

sub write_config_file ($$) {
    my ($block, $config) = @_;
    my $name = $block->name;
    my $expand = sub { expand_env_in_text($_[0] // '', $name, $RandPorts) };
    my $http_config = $expand->($block->http_config);
    my $main_config = $block->main_config // '';
    if ($LoadModules) {
        my @m = map { "load_module $_;" } grep { $_ } split /\s+/, $LoadModules;
        $main_config = join ' ', @m, $main_config if @m;
    }
    $main_config = $expand->($main_config);
    my $post_main_config = $expand->($block->post_main_config);
    my $err_log_file = $expand->($block->error_log_file || $ErrLogFile);
    my $server_name = $block->server_name // $ServerName;
    my $env = join '', map { my $v = /\s/ ? "'$_'" : $_; "env $v;\n" } @EnvToNginx;

    my $temp = '';
    for my $t (qw(client_body proxy fastcgi scgi uwsgi)) {
        $temp .= " ${t}_temp_path $ServRoot/${t}_temp;"
            unless $http_config =~ /\b${t}_temp_path\b/;
    }
    my $root = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    my $user = $> == 0 ? "user root;\n" : '';

    open my $out, '>', $ConfFile or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
$env
$main_config

http {
    access_log $AccLogFile;$temp
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config
    server {
        listen          $ServerPort;
        #placeholder
        server_name     '$server_name';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root    }
}

$post_main_config

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_
    close $out;
}

# ---- nginx process management
sub read_pid () {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;
    return undef unless defined $pid && $pid =~ /^\s*(\d+)/;
    return $1;
}

sub kill_process ($$) {
    my ($pid, $name) = @_;
    return unless is_running($pid);
    for my $sig (($ENV{TEST_NGINX_FAST_SHUTDOWN} ? 'TERM' : 'QUIT'), 'TERM', 'KILL') {
        kill $sig, $pid;
        my $deadline = time + ($sig eq 'KILL' ? 2 : $sig eq 'TERM' ? 1 : $Timeout);
        while (time < $deadline) {
            waitpid($pid, WNOHANG);
            return unless is_running($pid);
            sleep 0.02;
        }
        warn "$name - timeout when waiting for the process $pid to exit ($sig)\n";
    }
}

sub stop_nginx ($) {
    my $name = shift;
    my $pid = read_pid();
    if (!$pid && $Starting) {    # interrupted while nginx was daemonizing
        my $deadline = time + 1;
        sleep 0.01 until ($pid = read_pid()) || time > $deadline;
    }
    kill_process($pid, $name) if $pid;
    unlink $PidFile;
}

# runs the nginx command line; returns (exit status, stderr output)
sub run_nginx () {
    $StartedNginx = $Starting = 1;
    my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile";
    $cmd .= " -e $ErrLogFile" if $NginxVersion >= 1.019005;
    my $stderr = "$ServRoot/nginx.stderr";
    system("$cmd > /dev/null 2> $stderr");
    my $status = $?;
    my $err = '';
    if (open my $in, '<', $stderr) { local $/; $err = <$in> // ''; close $in }
    unlink $stderr;
    return ($status, $err);
}

sub error_log_tail () {
    open my $in, '<', $ErrLogFile or return '';
    my @lines = grep { !/\[debug\]/ } <$in>;
    close $in;
    return join '', @lines[($#lines > 30 ? $#lines - 30 : 0) .. $#lines];
}

sub prepare_server_root ($$) {
    my ($block, $config) = @_;
    setup_server_root();
    if (my $code = $block->post_setup_server_root) {
        eval $code;
        bail_out($block->name . " - post_setup_server_root failed: $@") if $@;
    }
    write_user_files($block);
    write_config_file($block, $config);
}

# starts nginx for a block; on failure emits a failing test and returns false
sub start_nginx ($$) {
    my ($block, $config) = @_;
    my $name = $block->name;
    stop_nginx($name);
    prepare_server_root($block, $config);
    my ($status, $err);
    my $deadline = time + $Timeout;
    while (1) {
        ($status, $err) = run_nginx();
        last if $status == 0;
        # a previous nginx may still be releasing the port
        last unless $err =~ /Address already in use/ && time < $deadline;
        sleep 0.1;
    }
    if ($status != 0) {
        Test::More::fail("$name - nginx started (status $status)");
        Test::More::diag("nginx stderr:\n$err\nerror.log:\n" . error_log_tail());
        undef $PrevConfig;
        $Starting = 0;
        return 0;
    }
    my $deadline2 = time + $Timeout;
    sleep 0.01 until read_pid() || time > $deadline2;
    $Starting = 0;
    $ErrLogFilePos = 0;
    return 1;
}

# "--- must_die": nginx is expected to fail to start
sub run_must_die ($$$) {
    my ($block, $config, $must_die) = @_;
    my $name = $block->name;
    for my $i (0 .. $RepeatEach - 1) {
        stop_nginx($name);
        prepare_server_root($block, $config);
        $ErrLogFilePos = 0;
        my ($status) = run_nginx();
        if ($must_die =~ /^\s*(\d+)\s*$/) {
            Test::More::is($status >> 8, $1, "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }
        check_error_log($block, undef, $i, 0);
        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; killing it (req $i)\n";
            my $deadline = time + $Timeout;
            sleep 0.01 until read_pid() || time > $deadline;
            stop_nginx($name);
        }
        $Starting = 0;
    }
    undef $PrevConfig;
}

# ---- embedded TCP server (--- tcp_listen / tcp_reply / tcp_query ...)
sub start_tcp_server ($) {
    my $block = shift;
    my $name = $block->name;
    my $target = expand_env_in_text($block->tcp_listen, $name, $RandPorts);
    $target =~ s/^\s+|\s+$//g;
    my $reply = $block->tcp_reply;
    bail_out("$name - no --- tcp_reply specified but --- tcp_listen is specified")
        if !defined $reply && !defined $block->tcp_shutdown;
    my $req_len = $block->tcp_query_len;
    $req_len = length $block->tcp_query if !defined $req_len && defined $block->tcp_query;
    my (undef, $qfile) = tempfile('tcp_query_XXXXXX', TMPDIR => 1, UNLINK => 1);

    my $sock;
    for (1 .. 30) {
        if ($target =~ /^\d+$/) {
            $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $target,
                Proto => 'tcp', ReuseAddr => 1, Listen => 5);
        } else {
            unlink $target;
            $sock = IO::Socket::UNIX->new(Local => $target, Listen => 5);
        }
        last if $sock || $! !~ /in use/i;
        sleep 0.1;
    }
    bail_out("$name - failed to create the tcp listening socket on $target: $!") unless $sock;

    my $pid = fork;
    bail_out("$name - fork() failed: $!") unless defined $pid;
    if ($pid) { close $sock; return ($pid, $qfile) }

    # child: serve one connection
    $InSubprocess = 1;
    Test::More->builder->no_ending(1);
    $SIG{PIPE} = 'IGNORE';
    alarm 60;
    my $client = $sock->accept or POSIX::_exit(1);
    my ($no_read, $no_write);
    if (defined(my $how = $block->tcp_shutdown)) {
        $how =~ s/\s+//g;
        $client->shutdown($how);
        $how == 1 ? ($no_write = 1) : ($no_read = 1);
    }
    my $buf = '';
    unless ($no_read) {
        my $auto = $block->tcp_query_auto_timeout;
        my $sel = IO::Select->new($client);
        while (1) {
            last if defined $auto && !$sel->can_read($auto ne '' ? $auto : 0.1);
            my $n = sysread($client, my $b, 4096);
            last unless $n;
            $buf .= $b;
            if (open my $q, '>', "$qfile.tmp") { print $q $buf; close $q; rename "$qfile.tmp", $qfile }
            last if !defined $auto && (!$req_len || length $buf >= $req_len);
        }
    }
    if (my $delay = parse_time($block->tcp_reply_delay)) { sleep $delay }
    if (!$no_write && defined $reply) {
        $reply = $reply->($buf) if ref $reply eq 'CODE';
        print $client $_ for ref $reply eq 'ARRAY' ? @$reply : ($reply);
    }
    sleep 1 while defined $block->tcp_no_close;
    close $client;
    POSIX::_exit(0);
}

sub stop_tcp_server () {
    return unless $TcpServerPid;
    kill 'KILL', $TcpServerPid;
    waitpid $TcpServerPid, 0;
    undef $TcpServerPid;
}

sub check_tcp_server ($$) {
    my ($block, $qfile) = @_;
    my $name = $block->name;
    my $buf = '';
    if (open my $in, '<', $qfile) { local $/; $buf = <$in> // ''; close $in }
    is_str($buf, $block->tcp_query, "$name - tcp_query ok") if defined $block->tcp_query;
    Test::More::is(length($buf), $block->tcp_query_len, "$name - TCP query length ok")
        if defined $block->tcp_query_len;
}

# ---- building requests
sub parse_more_headers ($) {
    my $in = shift;
    my ($out, $is_chunked) = ('', 0);
    for my $h (split /\n+/, $in) {
        next if $h =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $h, 2;
        $val //= '';
        $is_chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# "METHOD [URI [HTTP/x.y]]\n[body]" plus headers -> raw HTTP request
sub build_request ($$$$) {
    my ($name, $req, $more_headers, $conn) = @_;
    my ($hdr, $is_chunked) = parse_more_headers($more_headers);
    my ($first, $content) = split /\n/, $req // '', 2;
    bail_out("$name - Request line should be non-empty")
        if !defined $first || $first eq '';
    $first =~ /^\s*(\S+) *(?:(\S+) *)?(?:(\S+) *)?\s*$/
        or bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' but got \"$first\".");
    my ($meth, $url, $ver) = ($1, $2 // '/', $3 // 'HTTP/1.1');
    $content //= '';
    my $len = '';
    if (!$is_chunked && $content ne '' && $hdr !~ /(?:^|\n)Content-Length:/) {
        $content =~ s/^\s+|\s+$//gs;
        $len = "Content-Length: " . length($content) . "\r\n";
    }
    my $h = '';
    $h .= "Host: $ServerName\r\n" if $hdr !~ /(?:^|\n)Host:/msi;
    $h .= "Connection: $conn\r\n" if $hdr !~ /(?:^|\n)Connection/msi;
    return "$meth $url $ver\r\n$h$hdr$len\r\n$content";
}

# returns a list of requests, each an array ref of packets to send
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;
    if (defined(my $raw = $block->raw_request)) {
        return ([ref $raw eq 'ARRAY' ? @$raw : $raw]);
    }
    my $request = $block->request;
    if (defined $request && !ref $request) {
        1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
    }
    my $more = $block->more_headers // '';
    my $hdr_for = sub {
        my $i = shift;
        return $more unless ref $more eq 'ARRAY';
        return $more->[$i] // bail_out("--- more_headers lacks data for the ${i}th request");
    };
    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - invalid entries in --- pipelined_requests") if ref $reqs ne 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $r = expand_env_in_text($reqs->[$i], $name, $RandPorts);
            $all .= build_request($name, $r, $hdr_for->($i), $i == $#$reqs ? 'close' : 'keep-alive');
        }
        return ([$all]);
    }
    bail_out("$name - request empty") unless defined $request;
    return ([build_request($name, $request, $hdr_for->(0), 'close')]) unless ref $request;
    bail_out("$name - invalid ---request : MUST be string or array of requests")
        if ref $request ne 'ARRAY';
    my @list;
    for my $i (0 .. $#$request) {
        my $r = $request->[$i];
        # a request given as packets is sent in one piece here
        $r = join '', map { ref $_ ? $_->{value} : $_ } @$r if ref $r eq 'ARRAY';
        push @list, [build_request($name, $r, $hdr_for->($i), 'close')];
    }
    return @list;
}

# ---- talking to nginx
sub send_request ($$$) {
    my ($packets, $timeout, $block) = @_;
    my $name = $block->name;
    my $addr = $block->server_addr_for_client // $ServerAddr;
    my $sock;
    for my $try (1 .. 50) {
        $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        sleep min(0.02 * $try, 0.2);
    }
    if (!$sock) {
        Test::More::fail("$name - Can't connect to $addr:$ServerPortForClient: $! (aborted)\n");
        return undef;
    }
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';
    my @out = @$packets;
    my ($buf, $off, $resp) = (shift(@out), 0, '');
    my $sel = IO::Select->new($sock);
    my $hard_deadline = time + ($timeout * 10 > 60 ? $timeout * 10 : 60);
    while (1) {
        $! = 0;
        my ($r, $w) = IO::Select->select($sel, defined $buf ? $sel : undef, undef, $timeout);
        next if !$r && !$w && $! == EINTR && time < $hard_deadline;
        if (!$r && !$w || time > $hard_deadline) {
            Test::More::fail("ERROR: client socket timed out - $name\n")
                unless defined $block->abort;
            last;
        }
        if ($w && @$w && defined $buf) {
            my $n = syswrite($sock, $buf, length($buf) - $off, $off);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK;
                warn "write failed: $!\n";
                $resp = "write failed: $!" if $resp eq '';
                undef $buf;
            } elsif (($off += $n) >= length $buf) {
                ($buf, $off) = (shift(@out), 0);
                if (defined $buf && (my $d = $block->raw_request_middle_delay)) { sleep $d }
                if (!defined $buf && defined(my $how = $block->shutdown)) {
                    shutdown($sock, $how =~ /^\s*$/ ? 1 : $how);
                }
            }
        }
        if ($r && @$r) {
            my $n = sysread($sock, my $chunk, 16384);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK;
                warn "WARNING: $name - HTTP response read failure: $!";
                last;
            }
            last if $n == 0;
            $resp .= $chunk;
        }
    }
    close $sock;
    return $resp;
}

# returns (HTTP::Response or undef, raw headers, bytes left after the response)
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';
    my $res = HTTP::Response->parse($raw);
    my $code = $res->code;
    if ($code && $code !~ /^\d+$/) { undef $code; $res->code(undef) }
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my $left;
    my $fail = sub {
        Test::More->builder->no_ending(1);
        Test::More::fail("$name - $_[0]");
        return (undef, $raw_headers);
    };
    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content // '';
        my ($decoded, $p) = ('', 0);
        while (1) {
            pos($body) = $p;
            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*(?:;[^\r\n]*)?\r\n/gc) {
                my $size = hex $1;
                $p = pos $body;
                if ($size == 0) {        # last chunk, then optional trailers
                    pos($body) = $p;
                    $body =~ /\G(?:[^\r\n]+\r\n)*\r\n/gc
                        or return $fail->("invalid chunked data received (expected CRLF).");
                    $left = substr($body, pos $body) if pos($body) < length $body;
                    last;
                }
                return $fail->("invalid chunked data received (not enought octets for the data section)")
                    if length($body) - $p < $size;
                $decoded .= substr($body, $p, $size);
                $p += $size;
                return $fail->("invalid chunked data received (expected CRLF).")
                    if substr($body, $p, 2) ne "\r\n";
                $p += 2;
            } elsif ($p < length $body) {
                return $fail->("invalid chunked body received: " . substr($body, $p));
            } else {
                return $fail->("no last chunk found - $body");
            }
        }
        $res->content($decoded);
    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content // '';
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, but got ",
                length $body, "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }
    return ($res, $raw_headers, $left);
}

# ---- checks
sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results should be arrays as well.");
    }
    return ref $value eq 'ARRAY' ? $value->[0] : $value;
}

sub parse_headers ($) {
    my @h;
    for (split /\n/, shift) {
        s/^\s+|\s+$//g;
        next if $_ eq '';
        if (s/^!\s*//) { push @h, [$_, undef] }
        else { push @h, [split /\s*:\s*/, $_, 2] }
    }
    return @h;
}

sub check_response ($$$$$$) {
    my ($block, $res, $raw_headers, $req_idx, $rep_idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $v = get_indexed_value($name, $block->error_code_like, $req_idx, $need_array);
        Test::More::like($code, qr/$v/sm, "$name - status code ok");
    } else {
        my $v = defined $block->error_code
            ? get_indexed_value($name, $block->error_code, $req_idx, $need_array) : 200;
        Test::More::is($code, $v, "$name - status code ok");
    }

    for my $t (['raw_response_headers_like', 1], ['raw_response_headers_unlike', 0]) {
        my $v = $block->${\ $t->[0]};
        next unless defined $v;
        $v = get_indexed_value($name, $v, $req_idx, $need_array);
        $t->[1] ? Test::More::like($raw_headers, qr/$v/s, "$name - raw resp headers like")
                : Test::More::unlike($raw_headers, qr/$v/s, "$name - raw resp headers unlike");
    }

    if (defined $block->response_headers) {
        for my $h (parse_headers(get_indexed_value($name, $block->response_headers,
                                                   $req_idx, $need_array))) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                                   "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            Test::More::is(($res && $res->header($key)) // '', $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        for my $h (parse_headers(get_indexed_value($name, $block->response_headers_like,
                                                   $req_idx, $need_array))) {
            my ($key, $val) = @$h;
            Test::More::like(($res && $res->header($key)) // '', qr/^$val$/,
                             "$name - header $key like ok");
        }
    }

    if ($res && defined(my $filters = $block->response_body_filters)) {
        $filters = [split ' ', $filters] unless ref $filters;
        $filters = [$filters] unless ref $filters eq 'ARRAY';
        $filters = $filters->[$req_idx] // [] if ref $filters->[0] eq 'ARRAY';
        my $body = $res->content;
        for my $f (@$filters) {
            $body = ref $f eq 'CODE' ? $f->($body)
                  : $f eq 'uc' ? uc $body : $f eq 'lc' ? lc $body
                  : $f eq 'ucfirst' ? ucfirst $body : $f eq 'lcfirst' ? lcfirst $body
                  : $f eq 'length' ? length $body
                  : $f eq 'md5_hex' ? do { require Digest::MD5; Digest::MD5::md5_hex($body) }
                  : $f eq 'sha1_hex' ? do { require Digest::SHA; Digest::SHA::sha1_hex($body) }
                  : bail_out("$name - unknown filter, \"$f\", specified in the --- response_body_filters section");
        }
        $res->content($body);
    }

    my $content = $res ? $res->content : undef;
    if (defined $block->response_body) {
        my $expected = get_indexed_value($name, $block->response_body, $req_idx, $need_array);
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name, $RandPorts);
        }
        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req $rep_idx, req $req_idx)");
        } else {
            is_str($content, $expected,
                "$name - response_body - response is expected (repeated req $rep_idx, req $req_idx)");
        }
    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pat = get_indexed_value($name, $block->${\ "response_body_$type"},
                                    $req_idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        (my $summary = $content // '') =~ s/^\s+|\s+$//g;
        $summary =~ s/\n/ /g; $summary =~ s/\s{2,}/ /g;
        my $cmp = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $cmp->($content, qr/$pat/s, "$name - response_body_$type - response is expected ($summary)");
    }

    $_->($block, $content, $req_idx, $rep_idx, 0) for @ResponseBodyChecks;
}

# lines of the log written since the previous read in this block
sub log_data ($) {
    my $file = shift;
    sleep $TestNginxSleep * 3;    # for logging after the response is sent
    open my $in, '<', $file or return [];
    my $is_err = $file eq $ErrLogFile;
    seek $in, $ErrLogFilePos, 0 if $is_err && !$CheckAccumErrLog && $ErrLogFilePos;
    my @lines = <$in>;
    $ErrLogFilePos = tell $in if $is_err && !$CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub to_pats ($) {
    my $pats = shift;
    return [grep { $_ ne '' } split /\n+/, $pats] unless ref $pats;
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : $line =~ /\Q$pat\E/;
}

# --- error_log/no_error_log and --- access_log/no_access_log
sub check_log_patterns ($$$$) {
    my ($block, $what, $lines, $rep_idx) = @_;    # $what: error_log | access_log
    my $name = $block->name;
    (my $file = $what) =~ s/_log$/.log/;
    if (defined(my $pats = $block->$what)) {
        for my $pat (@{ to_pats($pats) }) {
            if (grep { line_matches($_, $pat) } @$lines) {
                Test::More::pass("$name - pattern \"$pat\" matches a line in $file (req $rep_idx)");
            } else {
                Test::More::fail("$name - pattern \"$pat\" should match a line in $file (req $rep_idx)");
            }
        }
    }
    if (defined(my $pats = $block->${\ "no_$what"})) {
        for my $pat (@{ to_pats($pats) }) {
            my $p = fmt_str($pat);
            my ($i) = grep { line_matches($lines->[$_], $pat) } 0 .. $#$lines;
            if (defined $i) {
                my $more = join '', @$lines[$i + 1 .. min($i + 9, $#$lines)];
                Test::More::fail("$name - pattern \"$p\" should not match any line in $file but matches line \""
                                 . fmt_str($lines->[$i]) . "\" (req $rep_idx)\n$more");
            } else {
                Test::More::pass("$name - pattern \"$p\" does not match a line in $file (req $rep_idx)");
            }
        }
    }
}

sub check_error_log ($$$$) {
    my ($block, $res, $rep_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines = log_data($ErrLogFile);

    my $grep_pat = $block->grep_error_log;
    if (defined $grep_pat) {
        $grep_pat = $grep_pat->[$rep_idx] if ref $grep_pat eq 'ARRAY';
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined")
            unless defined $expected;
        $expected = expand_env_in_text($expected, $name, $RandPorts);
        $expected = $expected->[$rep_idx] if ref $expected eq 'ARRAY';
        my $matched = '';
        for my $line (@$lines) {
            if (ref $grep_pat ? $line =~ /$grep_pat/ : $line =~ /\Q$grep_pat\E/) {
                $matched .= "$&\n" if $& !~ /\n/;
            }
        }
        is_str($matched, $expected, "$name - grep_error_log_out (req $rep_idx)");
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- grep_error_log_out is defined");
    }

    check_log_patterns($block, 'error_log', $lines, $rep_idx);

    # like the real module: warn about unexpected alert/crit/emerg lines
    my $mentioned = join "\n", map { ref $_ eq 'ARRAY' ? @$_ : $_ }
                    grep { defined } $block->error_log, $block->no_error_log;
    for my $level (qw(alert crit emerg)) {
        next if $mentioned =~ /\[\Q$level\E/;
        warn "WARNING: $name - ", fmt_str($_), "\n" for grep { /\[$level\]/ } @$lines;
    }
    for my $line (@$lines) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            Test::More->builder->no_ending(1);
            chomp(my $l = $line);
            Test::More::fail("$name - $l\n");
        }
    }
}

sub check_access_log ($$) {
    my ($block, $rep_idx) = @_;
    return unless defined $block->access_log || defined $block->no_access_log;
    check_log_patterns($block, 'access_log', log_data($AccLogFile), $rep_idx);
}

# ---- one repetition of a block: send the requests, run the checks
sub run_test_helper ($$) {
    my ($block, $rep_idx) = @_;
    my $name = $block->name;
    my @reqs = get_req_from_block($block);
    my $timeout = parse_time($block->timeout) // $Timeout;
    my $pipelined = $block->pipelined_requests;
    my $need_array = $pipelined ? 1 : @reqs > 1;
    my ($res, $req_idx) = (undef, 0);

    for my $i (0 .. $#reqs) {
        my $raw = send_request($reqs[$i], $timeout, $block) // '';
        my $head_req = join('', @{ $reqs[$i] }) =~ /^\s*HEAD\s+/ ? 1 : 0;
        my $n = $pipelined ? scalar @$pipelined : 0;
        while (1) {
            my ($raw_headers, $left) = ('');
            unless (defined $block->ignore_response) {
                ($res, $raw_headers, $left) = parse_response($name, $raw, $head_req);
            }
            if ($n) {
                $raw = $left // '';
                $n--;
            } elsif (defined $left) {
                (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                warn "WARNING: $name - unexpected extra bytes after last chunk in response: \"$l\"\n";
            }
            check_response($block, $res, $raw_headers, $req_idx, $rep_idx, $need_array)
                unless defined $block->ignore_response;
            if ($n || $i < $#reqs) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $rep_idx, $need_array);
                check_access_log($block, $rep_idx) unless defined $block->ignore_response;
            }
            $req_idx++;
            last unless $n;
        }
    }
    sleep $block->wait if $block->wait;
    check_error_log($block, $res, $rep_idx, $need_array);
    check_access_log($block, $rep_idx) unless defined $block->ignore_response;
}

# "--- skip_nginx: 3: < 1.21.0", "--- skip_eval: 2: $ENV{FOO}" -> (count, reason)
sub should_skip ($) {
    my $block = shift;
    my $name = $block->name;
    my ($n, $skip, $reason);
    if (defined(my $s = $block->skip_eval)) {
        if ($s =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($n, $reason) = ($1, 'skip_eval');
            $skip = eval $2;
            bail_out("$name - skip_eval - failed to eval the Perl code \"$2\": $@") if $@;
        }
    }
    if (defined(my $s = $block->skip_nginx)) {
        $s =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - Invalid --- skip_nginx spec: $s");
        $n = $1;
        $reason = $6 || "nginx version $2 $3.$4.$5";
        my $ver = sprintf "%d.%03d%03d", $3, $4, $5;
        $skip = 1 if eval "$NginxVersion $2 $ver";
    }
    return $skip ? ($n, $reason // 'various reasons') : ();
}

# ---- one block
sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;
    my $name = $block->name;
    $RandPorts = {};
    my $config = expand_env_in_text($block->config, $name, $RandPorts);
    local $LogLevel = $block->log_level || $LogLevel;
    my ($skip_n, $skip_reason) = should_skip($block);

    if (!defined $skip_n) {
        if (defined(my $must_die = $block->must_die)) {
            return run_must_die($block, $config // '', $must_die);
        }
        if (!defined $config) {
            bail_out("$name - No '--- config' section specified and could not get previous one.")
                unless defined $PrevConfig && is_running(read_pid());
            $ErrLogFilePos = -s $ErrLogFile || 0;    # reuse nginx; only this block's lines
        } elsif ($ForceRestartOnTest || !defined $PrevConfig || $config ne $PrevConfig
                 || !is_running(read_pid())) {
            $PrevConfig = $config;
            return unless start_nginx($block, $config);
        } else {
            $ErrLogFilePos = -s $ErrLogFile || 0;
        }
        if (my $init = $block->init) {
            eval $init;
            bail_out("$name - init failed: $@") if $@;
        }
    }

    for my $i (0 .. $RepeatEach - 1) {
        if (defined $skip_n) {
            SKIP: { Test::More::skip("$name - $skip_reason", $skip_n) }
            next;
        }
        write_user_files($block) if $i > 0;
        my $qfile;
        ($TcpServerPid, $qfile) = start_tcp_server($block) if defined $block->tcp_listen;
        run_test_helper($block, $i);
        if ($TcpServerPid) {
            check_tcp_server($block, $qfile);
            stop_tcp_server();
            unlink $qfile;
        }
    }
}

sub run_tests () {
    srand($$ + time * 1000000);
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;
    for my $block ($NoShuffle ? Test::Base::blocks() : shuffle Test::Base::blocks()) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', "$0 " . $block->name);
        run_test($block);
        $_->($block) for @TestCleanupHandlers;
    }
    cleanup();
}

sub cleanup () {
    $_->() for @CleanupHandlers;
    stop_tcp_server();
}

# never leave nginx or helpers running, even when interrupted
$SIG{$_} ||= sub { exit 1 } for qw(INT TERM HUP PIPE);

END {
    return if $InSubprocess;
    local $?;
    cleanup();
    stop_nginx('END') if $StartedNginx && !$ENV{TEST_NGINX_NO_CLEAN};
    archive_logs() if $StartedNginx;
}

1;

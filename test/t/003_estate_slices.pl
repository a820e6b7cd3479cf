#
# 003_estate_slices.pl -- an estate larger than one node, on PostgreSQL's
# own distribution: three nodes each own a third of 3,000 accounts and keep
# their own synced copy (cq_fdw.sync into a regular table, delete-stale);
# a coordinator reads the three copies as one partitioned table through
# postgres_fdw (async append).  The result must be exactly what a single
# node gets when it syncs the whole estate itself: same rows, same values
# (compared by count and an md5 over every row's text), and after the API
# changes (an account's items shrink, one account fails) the slices and
# the single node agree again, with the failure confined to its slice.
#
# Needs MOCK_URL (test/run's mock API: /accounts/<id>/items serves rich
# items per account, next-token paging) and contrib's postgres_fdw.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use IPC::Run;

my $mock = $ENV{MOCK_URL};
plan skip_all => 'MOCK_URL is not set (run through test/run)' unless $mock;

my $accounts = 3000;
my $nodes = 3;
my $slice = $accounts / $nodes;
my $per_account = 4;	# items per account, two pages of 2

my $columns = q{account int, id bigint, uuid uuid, name text,
				created_at timestamptz, price numeric, ipv4 inet, cidr cidr,
				mac macaddr, active bool, tags jsonb};
my $target = "CREATE TABLE items ($columns, PRIMARY KEY (account, id))";

# The API as a foreign table, and a view restricted to some accounts (the
# account list is the fan-out: = ANY runs them concurrently).
sub api_sql
{
	my ($lo, $hi, $n) = @_;
	my $list = join(',', $lo .. $hi);
	return qq{
		CREATE SERVER IF NOT EXISTS api FOREIGN DATA WRAPPER cq_fdw
			OPTIONS (source 'rest', base_url '$mock');
		DROP VIEW IF EXISTS items_src;
		DROP FOREIGN TABLE IF EXISTS items_api;
		CREATE FOREIGN TABLE items_api ($columns)
			SERVER api
			OPTIONS (endpoint '/accounts/{account}/items?n=$n&per_page=2&shape=rich$ENV{ESTATE_EXTRA}',
					 rows '/items', pagination 'next_token',
					 next '/nextPageToken', next_param 'pageToken',
					 primary_key 'account, id', skip_failed 'true');
		CREATE VIEW items_src AS
			SELECT * FROM items_api WHERE account = ANY ('{$list}'::int[]);
	};
}

my $digest = q{SELECT count(*) || ' ' || count(DISTINCT account) || ' '
					  || md5(string_agg(t::text, ',' ORDER BY account, id))
				 FROM items t};

# ------------------------------------------------------------ slice nodes
my @slices;
for my $w (1 .. $nodes)
{
	my $node = PostgreSQL::Test::Cluster->new("slice$w");
	$node->init;
	$node->start;
	$node->safe_psql('postgres', "CREATE EXTENSION cq_fdw; $target;");
	push @slices, $node;
}

# ---------------------------------------------------- single node (reference)
my $single = PostgreSQL::Test::Cluster->new('single');
$single->init;
$single->start;
$single->safe_psql('postgres', "CREATE EXTENSION cq_fdw; $target;");

# ---------------------------------------------------------------- coordinator
my $coord = PostgreSQL::Test::Cluster->new('estate_coord');
$coord->init;
$coord->start;
my $user = $coord->safe_psql('postgres', 'SELECT current_user');
my $sql = "CREATE EXTENSION postgres_fdw;\n"
  . "CREATE TABLE items ($columns) PARTITION BY RANGE (account);\n";
for my $w (1 .. $nodes)
{
	my $node = $slices[ $w - 1 ];
	my ($host, $port) = ($node->host, $node->port);
	my $lo = ($w - 1) * $slice + 1;
	my $hi1 = $w * $slice + 1;
	$sql .= qq{
		CREATE SERVER slice$w FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '$host', port '$port', dbname 'postgres',
					 async_capable 'true');
		CREATE USER MAPPING FOR CURRENT_USER SERVER slice$w
			OPTIONS (user '$user');
		CREATE FOREIGN TABLE items_s$w PARTITION OF items
			FOR VALUES FROM ($lo) TO ($hi1)
			SERVER slice$w OPTIONS (table_name 'items');
	};
}
$coord->safe_psql('postgres', $sql);

# One round: every slice node syncs its accounts (all three at once, as
# three independent nodes would), then the single node syncs everything.
# Returns the wall seconds of the slices and of the single node.
sub round
{
	my ($n) = @_;
	my @bg;
	my $t0 = time;
	for my $w (1 .. $nodes)
	{
		my $node = $slices[ $w - 1 ];
		my $lo = ($w - 1) * $slice + 1;
		my $hi = $w * $slice;
		$node->safe_psql('postgres', api_sql($lo, $hi, $n));
		push @bg, IPC::Run::start(
			[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
			  '-c', "CALL cq_fdw.sync('items', 'items_src')" ],
			'>', \my $o, '2>', \my $e);
	}
	my $fail = 0;
	for my $h (@bg)
	{
		$h->finish;
		$fail++ if $h->result != 0;
	}
	my $t_slices = time - $t0;
	is($fail, 0, "round n=$n: the three slice syncs succeed");

	$single->safe_psql('postgres', api_sql(1, $accounts, $n));
	$t0 = time;
	$single->safe_psql('postgres', "CALL cq_fdw.sync('items', 'items_src')");
	my $t_single = time - $t0;
	return ($t_slices, $t_single);
}

# --------------------------------------------------------------- round 1
my ($ts, $t1) = round($per_account);
my $want = $single->safe_psql('postgres', $digest);
like($want, qr/^12000 3000 [0-9a-f]{32}$/,
	'single node: 3,000 accounts x 4 items synced');
is($coord->safe_psql('postgres', $digest), $want,
	'coordinator over three slices = single-node sync (count, accounts, md5 of every row)');
for my $w (1 .. $nodes)
{
	my $lo = ($w - 1) * $slice + 1;
	my $hi = $w * $slice;
	is( $slices[ $w - 1 ]->safe_psql('postgres',
			'SELECT count(*), min(account), max(account) FROM items'),
		($slice * $per_account) . "|$lo|$hi", "slice $w holds accounts $lo..$hi only");
}
diag(sprintf("round 1 wall: 3 slice nodes %.1f s, 1 node %.1f s (ratio %.2f; they share this machine's cores)",
		$ts, $t1, $t1 / ($ts || 1)));

my $plan = $coord->safe_psql('postgres', 'EXPLAIN (COSTS OFF) SELECT * FROM items');
like($plan, qr/Async Foreign Scan on (public\.)?items_s1.*Async Foreign Scan on (public\.)?items_s3/s,
	'the coordinator reads the slices asynchronously');
is( $coord->safe_psql('postgres',
		q{SELECT count(*), count(DISTINCT id) FROM items WHERE account = 2500}),
	"$per_account|$per_account", 'account 2500 (slice 3) through the coordinator');

# -------------------------------------------- round 2: the estate changes
# Every account now has 3 items, and account 1234 (slice 2) fails: with
# skip_failed the other accounts are read, and delete-stale must not treat
# the failed account's rows as gone: that slice (and the single node)
# upserts but deletes nothing; the other two slices delete their stale rows.
{
	local $ENV{ESTATE_EXTRA} = '&fail_accounts=1234';
	round(3);
}
like($single->safe_psql('postgres', $digest), qr/^12000 3000 /,
	'single node: a failed account deletes nothing (no silent loss)');
is( $coord->safe_psql('postgres',
		q{SELECT count(*) FILTER (WHERE account <= 1000), count(*) FILTER (WHERE account BETWEEN 1001 AND 2000),
				 count(*) FILTER (WHERE account > 2000) FROM items}),
	'3000|4000|3000', 'slices 1 and 3 dropped their stale rows, slice 2 (with the failure) kept all');
is( $single->safe_psql('postgres',
		q{SELECT status, rows_deleted FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1}),
	'ok|0', 'single node: sync_log says ok, 0 deleted');

# ----------------------------------------- round 3: the failure is gone
round(3);
$want = $single->safe_psql('postgres', $digest);
like($want, qr/^9000 3000 /, 'next clean sync: stale rows deleted everywhere');
is($coord->safe_psql('postgres', $digest), $want, 'coordinator = single node after the clean sync');

$coord->stop;
$single->stop;
$_->stop for @slices;
done_testing();

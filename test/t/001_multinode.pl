#
# 001_multinode.pl -- cq_fdw beyond one machine: two worker nodes each read
# half of the accounts with cq_fdw; a coordinator reads both through
# postgres_fdw as one partitioned table (partitions are foreign tables on
# the workers, async_capable), so a full scan runs both workers at once
# (Async Foreign Scan) and WHERE account = 7 prunes to one worker.
#
# Needs MOCK_URL (test/run's mock API; /accounts/<id>/items serves 20
# items per account here) and contrib's postgres_fdw.  Three clusters on
# unix sockets (PostgreSQL::Test::Cluster's default).
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;

my $mock = $ENV{MOCK_URL};
plan skip_all => 'MOCK_URL is not set (run through test/run)' unless $mock;

# GET a mock control route, decode its JSON answer
sub mock
{
	my ($path) = @_;
	my $out = `curl -s --max-time 10 '$mock$path'`;
	die "mock $path: curl failed" if $? != 0;
	return JSON::PP::decode_json($out);
}

my $accounts = 100;		# 1..50 on worker 1, 51..100 on worker 2
my $per_account = 20;	# items per account, 2 pages of 10

# ---------------------------------------------------------------- workers
my @workers;
for my $w (1, 2)
{
	my $node = PostgreSQL::Test::Cluster->new("worker$w");
	$node->init;
	$node->start;
	my $lo = ($w - 1) * $accounts / 2 + 1;
	my $hi = $w * $accounts / 2;

	# The worker exposes its share as a view: the account list is the
	# fan-out (= ANY), so a scan of the view runs all its accounts
	# concurrently.  (A literal array, not ARRAY(SELECT generate_series()):
	# see the note about initplans in the report of issue 6.)
	my $list = join(',', $lo .. $hi);
	$node->safe_psql('postgres', qq{
		CREATE EXTENSION cq_fdw;
		CREATE SERVER api FOREIGN DATA WRAPPER cq_fdw
			OPTIONS (source 'rest', base_url '$mock');
		CREATE FOREIGN TABLE items_api (account int, id bigint, name text)
			SERVER api
			OPTIONS (endpoint '/accounts/{account}/items?n=$per_account&per_page=10&shape=small',
					 rows '/items', pagination 'next_token',
					 next '/nextPageToken', next_param 'pageToken',
					 primary_key 'account, id');
		CREATE VIEW items AS
			SELECT * FROM items_api
			 WHERE account = ANY ('{$list}'::int[]);
	});
	is( $node->safe_psql('postgres',
			'SELECT count(*), count(DISTINCT account), min(account), max(account) FROM items'),
		($per_account * $accounts / 2) . '|' . ($accounts / 2) . "|$lo|$hi",
		"worker $w reads accounts $lo..$hi with cq_fdw");
	push @workers, $node;
}

# ------------------------------------------------------------ coordinator
my $coord = PostgreSQL::Test::Cluster->new('coordinator');
$coord->init;
$coord->start;
my $user = $coord->safe_psql('postgres', 'SELECT current_user');
my $sql = "CREATE EXTENSION postgres_fdw;\n"
  . "CREATE TABLE items (account int, id bigint, name text) PARTITION BY RANGE (account);\n";
for my $w (1, 2)
{
	my $node = $workers[ $w - 1 ];
	my ($host, $port) = ($node->host, $node->port);
	my $lo = ($w - 1) * $accounts / 2 + 1;
	my $hi1 = $w * $accounts / 2 + 1;
	$sql .= qq{
		CREATE SERVER worker$w FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '$host', port '$port', dbname 'postgres',
					 async_capable 'true');
		CREATE USER MAPPING FOR CURRENT_USER SERVER worker$w
			OPTIONS (user '$user');
		CREATE FOREIGN TABLE items_w$w PARTITION OF items
			FOR VALUES FROM ($lo) TO ($hi1)
			SERVER worker$w OPTIONS (table_name 'items');
	};
}
$coord->safe_psql('postgres', $sql);

# every account's rows, each exactly once
is( $coord->safe_psql('postgres', q{
		SELECT count(*), count(DISTINCT (account, id)), count(DISTINCT account),
			   min(account), max(account)
		  FROM items}),
	($per_account * $accounts) . '|' . ($per_account * $accounts) . "|$accounts|1|$accounts",
	'coordinator returns every row of every account');
is( $coord->safe_psql('postgres', qq{
		SELECT count(*) FROM (SELECT account FROM items GROUP BY account
							   HAVING count(*) = $per_account
								  AND count(DISTINCT id) = $per_account) s}),
	$accounts, "each account has its $per_account items");

# the full scan: both partitions, asynchronously
my $plan = $coord->safe_psql('postgres',
	'EXPLAIN (COSTS OFF) SELECT * FROM items');
like($plan, qr/Async Foreign Scan on (public\.)?items_w1/, 'worker 1 is scanned asynchronously');
like($plan, qr/Async Foreign Scan on (public\.)?items_w2/, 'worker 2 is scanned asynchronously');

# pruning: WHERE account = 7 touches worker 1 only, and gets its 20 rows
$plan = $coord->safe_psql('postgres',
	'EXPLAIN (COSTS OFF) SELECT * FROM items WHERE account = 7');
like($plan, qr/items_w1/, 'account 7 is on worker 1');
unlike($plan, qr/items_w2/, 'account 7 prunes worker 2');
mock('/_mock/reset');
is( $coord->safe_psql('postgres',
		'SELECT count(*), min(account), max(account) FROM items WHERE account = 7'),
	"$per_account|7|7", 'account 7 returns its rows');
# ... and the qual reaches cq_fdw on the worker: only account 7's two
# pages were requested from the API
my $stats = mock('/_mock/stats?route=/accounts/');
is($stats->{prefix_count}, 2, 'WHERE account = 7: two API requests');
is_deeply([ map { $_->{route} } @{ $stats->{routes} } ],
	['/accounts/7/items'], 'WHERE account = 7: only account 7 was fetched');
$plan = $coord->safe_psql('postgres',
	'EXPLAIN (COSTS OFF) SELECT * FROM items WHERE account IN (3, 77)');
like($plan, qr/items_w1.*items_w2/s, 'accounts on both workers scan both');

$coord->stop;
$_->stop for @workers;
done_testing();

#
# 002_sync_destinations.pl -- what cq_fdw.sync() writes reaches other
# systems through PostgreSQL itself: node A syncs an API collection into a
# table published with logical replication; node B subscribes and sees the
# inserts, the updates and the stale deletes of each sync; node C reads A's
# synced table through postgres_fdw.  Anything that speaks logical
# replication (Debezium, another PostgreSQL) is a destination the same way.
#
# Needs MOCK_URL (test/run's mock API: /gen/link/... with shape=versioned,
# README of test/mock) and contrib's postgres_fdw.  Three clusters on unix
# sockets (PostgreSQL::Test::Cluster's default); A has wal_level=logical.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $mock = $ENV{MOCK_URL};
plan skip_all => 'MOCK_URL is not set (run through test/run)' unless $mock;

my $table = q{CREATE TABLE items (id bigint PRIMARY KEY, name text, version int,
									updated_at timestamptz)};
my $digest = q{SELECT count(*) || ' ' || coalesce(max(id), 0) || ' '
					  || count(*) FILTER (WHERE version > 0) || ' '
					  || md5(coalesce(string_agg(t::text, ',' ORDER BY id), ''))
				 FROM items t};

# ------------------------------------------------------ A: syncs, publishes
my $node_a = PostgreSQL::Test::Cluster->new('sync_a');
$node_a->init(allows_streaming => 'logical');
$node_a->start;
$node_a->safe_psql('postgres', qq{
	CREATE EXTENSION cq_fdw;
	CREATE SERVER api FOREIGN DATA WRAPPER cq_fdw
		OPTIONS (source 'rest', base_url '$mock');
	CREATE FOREIGN TABLE items_api (id bigint, name text, version int,
									updated_at timestamptz)
		SERVER api
		OPTIONS (endpoint '/gen/link/tap_sync?n=50&per_page=20&shape=versioned&seed=0',
				 pagination 'link_header');
	$table;
	CREATE PUBLICATION synced FOR TABLE items;
});

# ---------------------------------------------------------- B: subscribes
my $node_b = PostgreSQL::Test::Cluster->new('sync_b');
$node_b->init;
$node_b->start;
my $a_conn = $node_a->connstr('postgres');
$node_b->safe_psql('postgres', $table);
$node_b->safe_psql('postgres',
	"CREATE SUBSCRIPTION synced_sub CONNECTION \$\$$a_conn\$\$ PUBLICATION synced");
$node_b->wait_for_subscription_sync($node_a, 'synced_sub');

# ------------------------------------------- C: reads A through postgres_fdw
my $node_c = PostgreSQL::Test::Cluster->new('sync_c');
$node_c->init;
$node_c->start;
my $user = $node_c->safe_psql('postgres', 'SELECT current_user');
my ($host, $port) = ($node_a->host, $node_a->port);
$node_c->safe_psql('postgres', qq{
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER node_a FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '$host', port '$port', dbname 'postgres');
	CREATE USER MAPPING FOR CURRENT_USER SERVER node_a OPTIONS (user '$user');
	CREATE FOREIGN TABLE items (id bigint, name text, version int,
								updated_at timestamptz)
		SERVER node_a OPTIONS (table_name 'items');
});

# one sync on A; returns its summary NOTICE
sub sync_a
{
	my ($endpoint) = @_;
	$node_a->safe_psql('postgres',
		"ALTER FOREIGN TABLE items_api OPTIONS (SET endpoint '$endpoint')");
	my ($ret, $stdout, $stderr) = $node_a->psql('postgres',
		"CALL cq_fdw.sync('items', 'items_api')");
	is($ret, 0, "sync from $endpoint");
	my ($notice) = $stderr =~ /NOTICE:\s+(synced .*)/;
	$node_a->wait_for_catchup('synced_sub');
	return $notice // $stderr;
}

# 1: 50 rows inserted
like(sync_a('/gen/link/tap_sync?n=50&per_page=20&shape=versioned&seed=0'),
	qr/50 inserted, 0 updated, 0 deleted/, 'first sync inserts 50 rows');
is($node_b->safe_psql('postgres', $digest), $node_a->safe_psql('postgres', $digest),
	'B has what A synced (inserts)');
like($node_b->safe_psql('postgres', $digest), qr/^50 50 0 /, 'B has 50 rows');

# 2: ids 5, 10, .. 40 change (seed 1), ids 41..50 are gone (n=40)
like(sync_a('/gen/link/tap_sync?n=40&per_page=20&shape=versioned&seed=1'),
	qr/0 inserted, 8 updated, 10 deleted/, 'second sync updates 8 rows and deletes 10');
is($node_b->safe_psql('postgres', $digest), $node_a->safe_psql('postgres', $digest),
	'B has what A synced (updates and stale deletes)');
like($node_b->safe_psql('postgres', $digest), qr/^40 40 8 /, 'B has 40 rows, 8 of them changed');
is($node_b->safe_psql('postgres', 'SELECT name FROM items WHERE id = 5'), 'item-5-v1',
	'B sees the new value of a changed row');

# 3: nothing changed: no row is written, so nothing is replicated
like(sync_a('/gen/link/tap_sync?n=40&per_page=20&shape=versioned&seed=1'),
	qr/0 inserted, 0 updated, 0 deleted/, 'an unchanged API writes nothing');
is($node_b->safe_psql('postgres', $digest), $node_a->safe_psql('postgres', $digest),
	'B still equals A');

# C reads A's synced table through postgres_fdw
is($node_c->safe_psql('postgres', $digest), $node_a->safe_psql('postgres', $digest),
	'C reads what A synced through postgres_fdw');

$node_c->stop;
$node_b->stop;
$node_a->stop;
done_testing();

#!/usr/bin/env bash
#
# test/checks/security_redact.sh -- a credential echoed by an API reaches
# the server log redacted.
#
# sql/security.sql scans /echo/auth401 of the mock, which answers 401 with
# "Bad credentials: you sent Authorization: Bearer <token>" (the canary
# token of the user mapping).  The SDK redacts the job's credentials from
# every error text (cqp_error_redact), so postgres.log must hold that ERROR's
# DETAIL with "Bearer REDACTED" -- proof that the echo was logged and went
# through the redaction -- while zz_canary.sh proves the token itself is
# nowhere.  Skipped (PASS with a note) when sql/security.sql did not run.
# Prints PASS/FAIL; exit status 0 = pass.

set -u
LOG=${CQ_TEST_DIR:?CQ_TEST_DIR is not set}/postgres.log

if [ ! -r "$LOG" ]; then
	echo "FAIL security_redact: cannot read $LOG"
	exit 1
fi
if ! grep -q -F 'scan of table sec_echo401' "$LOG"; then
	echo "PASS security_redact: NOTE: sql/security.sql did not run (no scan of sec_echo401 in the log): nothing to check"
	exit 0
fi
n=$(grep -c -F 'DETAIL:  Bad credentials: you sent Authorization: Bearer REDACTED.' "$LOG")
if [ "$n" -lt 2 ]; then
	echo "FAIL security_redact: expected the echoed 401 DETAIL, redacted, in $LOG (superuser and USAGE-only role); found $n:"
	grep -n -F 'Bad credentials: you sent' "$LOG" | cut -c1-200 | sed 's/^/  /'
	exit 1
fi
if grep -q -F 'you sent Authorization: Bearer cq-' "$LOG"; then
	echo "FAIL security_redact: an unredacted echo is in $LOG"
	exit 1
fi
# Token endpoints (issue 13): sql/azure_client_credentials.sql makes the
# Azure token endpoint repeat the client secret it got (the canary) in its
# error; the log must hold that ERROR with the endpoint's message dropped.
# sql/gcp_service_account.sql and sql/github_app.sql: an API echoing a
# fetched token logs it as REDACTED.
extra=""
if grep -q -F 'scan of table az_items' "$LOG"; then
	if ! grep -q -F "The token endpoint said: (the endpoint's message repeated a secret and is not shown)." "$LOG"; then
		echo "FAIL security_redact: the Azure token endpoint's error repeating the client secret is not logged as scrubbed in $LOG"
		grep -n -F 'could not get an access token' "$LOG" | cut -c1-200 | sed 's/^/  /'
		exit 1
	fi
	extra="$extra; the client secret repeated by the token endpoint is scrubbed"
fi
if grep -q -F 'scan of table gsa_echo' "$LOG"; then
	if ! grep -A1 -F 'access token (HTTP status 401)' "$LOG" | grep -q -F 'you sent Authorization: Bearer REDACTED.'; then
		echo "FAIL security_redact: the service account's token echoed by the API is not logged as REDACTED in $LOG"
		exit 1
	fi
	extra="$extra; a fetched token echoed by the API is REDACTED"
fi
echo "PASS security_redact: the echoed credential is logged as REDACTED ($n ERRORs with the echo)$extra"
exit 0

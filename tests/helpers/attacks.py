"""Hostile and legitimate SQL shared by the guard tests and the database-side tests.

`ATTACKS` pairs each hostile statement with a problem code `txt2sql_api.sql.guard.check_sql`
reports for it; `tests/sql/test_run.py` also runs every one of them, unguarded, as a role that may
only SELECT, so each payload must be harmless even where it runs (no real files overwritten, no
programs beyond `cat > /dev/null`, no sessions but nonexistent ones signalled).

`SAFE` holds read queries over the demo tables (`dtzpt`, `xlxx`, `hczxx`, `zdkl_rtj`, `ssxx`,
view `v_zdrjkl`, all in schema public) that the guard passes and that return at least one row.
"""

from __future__ import annotations

ATTACKS: list[tuple[str, str]] = [
    # Writes.
    (
        "INSERT INTO xlxx (xlbh, xlmc, xlys, qdz, zdz, xlcd, yyzt) "
        "VALUES ('L99', '99号线', '黑色', 'a', 'b', 1, '在建')",
        "not_read_only",
    ),
    ("UPDATE dtzpt SET zdzt = '临时关闭'", "not_read_only"),
    ("DELETE FROM dtzpt", "not_read_only"),
    ("DELETE FROM zdkl_rtj WHERE tjrq < DATE '2024-06-15'", "not_read_only"),
    (
        "MERGE INTO dtzpt d USING xlxx x ON d.xlbh = x.xlbh WHEN MATCHED THEN UPDATE SET ckgs = 0",
        "not_read_only",
    ),
    ("TRUNCATE dtzpt CASCADE", "not_read_only"),
    ("TRUNCATE TABLE zdkl_rtj", "not_read_only"),
    # DDL.
    ("DROP TABLE dtzpt", "not_read_only"),
    ("DROP VIEW v_zdrjkl", "not_read_only"),
    ("DROP SCHEMA public CASCADE", "not_read_only"),
    ("ALTER TABLE dtzpt DROP COLUMN zdmc", "not_read_only"),
    ("ALTER TABLE xlxx RENAME TO xlxx_old", "not_read_only"),
    ("CREATE TABLE dtzpt_copy (zdbh varchar(12))", "not_read_only"),
    ("CREATE TABLE dtzpt_copy AS SELECT * FROM dtzpt", "not_read_only"),
    ("CREATE INDEX ON dtzpt (zdmc)", "not_read_only"),
    (
        "CREATE FUNCTION wipe() RETURNS int LANGUAGE plpgsql "
        "AS $$BEGIN DELETE FROM dtzpt; RETURN 1; END$$",
        "not_read_only",
    ),
    (
        "CREATE OR REPLACE FUNCTION lower(text) RETURNS text LANGUAGE sql AS $$SELECT $1$$",
        "not_read_only",
    ),
    # More than one statement.
    ("SELECT 1; COMMIT; DROP TABLE dtzpt", "statement_count"),
    ("SELECT 1; DROP TABLE dtzpt", "statement_count"),
    ("SELECT zdmc FROM dtzpt; DELETE FROM dtzpt", "statement_count"),
    ("SELECT 1; -- harmless?\nDROP TABLE dtzpt", "statement_count"),
    ("SELECT 1; /* more */ UPDATE dtzpt SET ckgs = 0", "statement_count"),
    ("SELECT 1; SELECT 2", "statement_count"),
    ("SELECT 'a;b'; DELETE FROM dtzpt", "statement_count"),
    ("SELECT $a$ $$ $a$; DROP TABLE dtzpt", "statement_count"),
    # Transaction control and session settings.
    ("COMMIT", "not_read_only"),
    ("ROLLBACK", "not_read_only"),
    ("BEGIN", "not_read_only"),
    ("SET TRANSACTION READ WRITE", "not_read_only"),
    ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "not_read_only"),
    ("SET default_transaction_read_only = off", "not_read_only"),
    ("SET statement_timeout = 0", "not_read_only"),
    ("RESET ALL", "not_read_only"),
    ("DISCARD ALL", "not_read_only"),
    # COPY.
    ("COPY dtzpt TO PROGRAM 'cat > /dev/null'", "not_read_only"),
    ("COPY (SELECT * FROM dtzpt) TO PROGRAM 'cat > /dev/null'", "not_read_only"),
    ("COPY dtzpt FROM '/dev/null'", "not_read_only"),
    ("COPY dtzpt TO '/tmp/x'", "not_read_only"),
    # Comment tricks.
    ("SELECT 1 /* */; DROP TABLE x", "statement_count"),
    ("SELECT 1 --\n; DELETE FROM dtzpt", "statement_count"),
    ("SELECT 1 /* a /* b */ c */; DELETE FROM dtzpt", "statement_count"),
    ("/* SELECT */ DELETE FROM dtzpt", "not_read_only"),
    ("-- SELECT\nDROP TABLE dtzpt", "not_read_only"),
    # Unicode-escaped identifiers (PostgreSQL reads U&"\0070g_sleep" as pg_sleep).
    ('SELECT U&"\\0070g_sleep"(1)', "parse_error"),
    ('SELECT * FROM U&"\\0070g_authid"', "parse_error"),
    ("SELECT U&\"!0070g_sleep\" UESCAPE '!' (1)", "parse_error"),
    # Dangerous functions, with case variants, quoting and schema qualification.
    ("SELECT pg_sleep(60)", "forbidden_function"),
    ("SELECT PG_SLEEP(1)", "forbidden_function"),
    ('SELECT "pg_sleep"(1)', "forbidden_function"),
    ("SELECT Pg_Sleep(1)", "forbidden_function"),
    ("SELECT pg_catalog.pg_sleep(1)", "forbidden_function"),
    ('SELECT "pg_catalog"."pg_sleep"(1)', "forbidden_function"),
    ("SELECT pg_sleep_for('1 second')", "forbidden_function"),
    ("SELECT pg_read_file('/etc/passwd')", "forbidden_function"),
    ("SELECT pg_catalog.pg_read_file('/etc/passwd', 0, 100)", "forbidden_function"),
    ("SELECT pg_read_binary_file('/etc/passwd')", "forbidden_function"),
    ("SELECT * FROM pg_ls_dir('.') AS f", "forbidden_function"),
    ("SELECT pg_stat_file('postgresql.conf')", "forbidden_function"),
    ("SELECT lo_import('/etc/passwd')", "forbidden_function"),
    ("SELECT lo_export(0, '/dev/null')", "forbidden_function"),
    ("SELECT lo_get(0)", "forbidden_function"),
    (
        "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)",
        "forbidden_function",
    ),
    ("SELECT dblink_exec('dbname=postgres', 'DROP TABLE dtzpt')", "forbidden_function"),
    ("SELECT set_config('default_transaction_read_only', 'off', false)", "forbidden_function"),
    ("SELECT pg_terminate_backend(2147483647)", "forbidden_function"),
    ("SELECT pg_cancel_backend(2147483647)", "forbidden_function"),
    ("SELECT pg_reload_conf()", "forbidden_function"),
    ("SELECT pg_advisory_lock(867530900)", "forbidden_function"),
    ("SELECT pg_try_advisory_xact_lock(867530901)", "forbidden_function"),
    ("SELECT query_to_xml('DELETE FROM dtzpt', true, true, '')", "forbidden_function"),
    ("SELECT * FROM ts_stat('SELECT to_tsvector(zdmc) FROM dtzpt')", "forbidden_function"),
    ("SELECT nextval('hczxx_hcbh_seq')", "forbidden_function"),
    ("SELECT setval('hczxx_hcbh_seq', 1)", "forbidden_function"),
    ("SELECT pg_notify('txt2sql', 'hello')", "forbidden_function"),
    # ... in every position of a query.
    ("SELECT zdmc FROM dtzpt WHERE zdbh IN (SELECT pg_sleep(1)::text)", "forbidden_function"),
    ("SELECT * FROM pg_sleep(1) AS s", "forbidden_function"),
    ("SELECT d.zdmc FROM dtzpt d, LATERAL pg_sleep(1) AS s LIMIT 1", "forbidden_function"),
    (
        "SELECT d.zdmc FROM dtzpt d CROSS JOIN LATERAL (SELECT pg_read_file('/etc/passwd') AS f) s",
        "forbidden_function",
    ),
    ("SELECT zdmc FROM dtzpt WHERE pg_sleep(1) IS NOT NULL", "forbidden_function"),
    ("WITH s AS (SELECT pg_sleep(1)) SELECT * FROM s", "forbidden_function"),
    ("SELECT (SELECT pg_ls_dir('.') LIMIT 1)", "forbidden_function"),
    ("SELECT zdmc FROM dtzpt ORDER BY pg_sleep(0.01)", "forbidden_function"),
    ("SELECT 1 UNION SELECT pg_cancel_backend(2147483647)::int", "forbidden_function"),
    ("SELECT * FROM ROWS FROM (pg_sleep(1)) AS f", "forbidden_function"),
    # Data-modifying CTEs.
    ("WITH d AS (DELETE FROM dtzpt RETURNING *) SELECT * FROM d", "data_modifying_cte"),
    (
        "WITH i AS (INSERT INTO xlxx (xlbh, xlmc, xlys, qdz, zdz, xlcd, yyzt) "
        "VALUES ('L98', '98号线', '白色', 'a', 'b', 1, '在建') RETURNING xlbh) SELECT * FROM i",
        "data_modifying_cte",
    ),
    (
        "WITH u AS (UPDATE dtzpt SET ckgs = 0 RETURNING zdbh) SELECT count(*) FROM u",
        "data_modifying_cte",
    ),
    (
        "WITH a AS (SELECT 1), d AS (DELETE FROM ssxx RETURNING 1) SELECT * FROM a",
        "data_modifying_cte",
    ),
    # SELECT INTO and row locks.
    ("SELECT * INTO dtzpt_copy FROM dtzpt", "select_into"),
    ("SELECT zdbh INTO TEMP t FROM dtzpt", "select_into"),
    ("SELECT * FROM dtzpt FOR UPDATE", "locking_clause"),
    ("SELECT * FROM dtzpt FOR SHARE", "locking_clause"),
    ("SELECT * FROM dtzpt FOR NO KEY UPDATE", "locking_clause"),
    ("SELECT * FROM dtzpt FOR KEY SHARE", "locking_clause"),
    ("SELECT * FROM dtzpt d JOIN xlxx x USING (xlbh) FOR UPDATE OF d NOWAIT", "locking_clause"),
    # Catalog secrets.
    ("SELECT rolname, rolpassword FROM pg_authid", "forbidden_table"),
    ("SELECT * FROM pg_shadow", "forbidden_table"),
    ("SELECT * FROM pg_user_mappings", "forbidden_table"),
    ("SELECT query FROM pg_stat_activity", "forbidden_table"),
    ("SELECT * FROM pg_catalog.pg_authid", "forbidden_table"),
    ("SELECT * FROM PG_CATALOG.PG_AUTHID", "forbidden_table"),
    ("SELECT table_name FROM information_schema.tables", "forbidden_table"),
    ("SELECT * FROM pg_largeobject", "forbidden_table"),
    ("WITH pg_authid AS (SELECT * FROM pg_authid) SELECT * FROM pg_authid", "forbidden_table"),
    ("SELECT zdmc FROM dtzpt WHERE zdmc IN (SELECT rolname FROM pg_roles)", "forbidden_table"),
    ("SELECT * FROM dtzpt JOIN pg_class c ON c.relname = dtzpt.zdmc", "forbidden_table"),
    # Statements sqlglot only knows by their first keyword, and the rest.
    ("EXPLAIN ANALYZE DELETE FROM dtzpt", "not_read_only"),
    ("EXPLAIN SELECT * FROM dtzpt", "not_read_only"),
    ("DO $$BEGIN DELETE FROM dtzpt; END$$", "not_read_only"),
    ("DO LANGUAGE plpgsql $$BEGIN PERFORM pg_sleep(1); END$$", "not_read_only"),
    ("CALL wipe()", "not_read_only"),
    ("PREPARE p AS DELETE FROM dtzpt", "not_read_only"),
    ("EXECUTE p", "not_read_only"),
    ("LISTEN txt2sql", "not_read_only"),
    ("NOTIFY txt2sql, 'hello'", "parse_error"),
    ("VACUUM dtzpt", "not_read_only"),
    ("VACUUM FULL", "not_read_only"),
    ("ANALYZE dtzpt", "not_read_only"),
    ("LOCK TABLE dtzpt IN ACCESS EXCLUSIVE MODE", "not_read_only"),
    ("GRANT ALL ON dtzpt TO PUBLIC", "not_read_only"),
    ("REVOKE SELECT ON dtzpt FROM PUBLIC", "not_read_only"),
    ("SECURITY LABEL ON TABLE dtzpt IS 'secret'", "parse_error"),
    ("REFRESH MATERIALIZED VIEW v_zdrjkl", "not_read_only"),
    ("ALTER SYSTEM SET default_transaction_read_only = off", "not_read_only"),
    ("CHECKPOINT", "not_read_only"),
    ("LOAD 'auto_explain'", "not_read_only"),
    ("SHOW ALL", "not_read_only"),
]

SAFE: list[str] = [
    "SELECT zdbh, zdmc FROM dtzpt ORDER BY zdbh",
    "SELECT d.zdmc, x.xlmc FROM dtzpt d JOIN xlxx x ON x.xlbh = d.xlbh WHERE x.xlmc = '2号线'",
    "SELECT a.zdmc, h.hcfs, h.bxsj FROM hczxx h JOIN dtzpt a ON a.zdbh = h.zdbh_a "
    "JOIN dtzpt b ON b.zdbh = h.zdbh_b ORDER BY h.bxsj",
    "SELECT x.xlmc, count(d.zdbh) AS zds FROM xlxx x LEFT JOIN dtzpt d USING (xlbh) "
    "GROUP BY x.xlmc HAVING count(d.zdbh) > 0",
    "WITH t AS (SELECT zdbh, sum(jzl) AS jz FROM zdkl_rtj GROUP BY zdbh) "
    "SELECT d.zdmc, t.jz FROM t JOIN dtzpt d USING (zdbh) ORDER BY t.jz DESC LIMIT 10",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
    "WITH RECURSIVE s AS (SELECT zdbh, zdmc, zdxh, xlbh FROM dtzpt WHERE xlbh = 'L01' AND zdxh = 1 "
    "UNION ALL SELECT d.zdbh, d.zdmc, d.zdxh, d.xlbh FROM dtzpt d "
    "JOIN s ON d.xlbh = s.xlbh AND d.zdxh = s.zdxh + 1) SELECT zdmc, zdxh FROM s",
    "SELECT zdmc, xlbh, rank() OVER (PARTITION BY xlbh ORDER BY ckgs DESC) AS rk FROM dtzpt",
    "SELECT tjrq, sum(jzl) AS jz, avg(sum(jzl)) OVER (ORDER BY tjrq ROWS 6 PRECEDING) AS ma7 "
    "FROM zdkl_rtj GROUP BY tjrq ORDER BY tjrq",
    "SELECT qdz AS zd FROM xlxx UNION SELECT zdz FROM xlxx ORDER BY zd",
    "SELECT zdmc FROM dtzpt WHERE xlbh = 'L01' UNION ALL SELECT zdmc FROM dtzpt WHERE xlbh = 'L02'",
    "SELECT zdmc FROM dtzpt WHERE xlbh = 'L01' INTERSECT SELECT zdmc FROM dtzpt WHERE xlbh = 'L02'",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT v.n, x.xlmc FROM (VALUES ('L01', 1), ('L02', 2)) AS v(xlbh, n) "
    "JOIN xlxx x USING (xlbh)",
    "SELECT zdmc FROM dtzpt WHERE zdbh IN (SELECT zdbh_a FROM hczxx)",
    "SELECT zdmc, (SELECT xlmc FROM xlxx x WHERE x.xlbh = d.xlbh) AS xlmc FROM dtzpt d",
    "SELECT zdmc FROM dtzpt d WHERE EXISTS (SELECT 1 FROM ssxx s WHERE s.zdbh = d.zdbh)",
    "SELECT 'x; DROP TABLE y' AS s, zdmc FROM dtzpt LIMIT 1",
    "SELECT zdmc FROM dtzpt WHERE zdmc <> 'DELETE FROM dtzpt; COMMIT' LIMIT 3",
    "SELECT $$a;b$$ AS s",
    "SELECT $q$ DROP TABLE dtzpt; $q$ AS s, count(*) FROM dtzpt",
    "SELECT g AS n FROM generate_series(1, 3) AS g",
    "SELECT d::date AS tjrq, count(k.zdbh) FROM generate_series(DATE '2024-06-01', "
    "DATE '2024-06-07', INTERVAL '1 day') AS d LEFT JOIN zdkl_rtj k ON k.tjrq = d::date GROUP BY 1",
    "SELECT date_trunc('week', tjrq) AS zc, sum(jzl + czl) FROM zdkl_rtj GROUP BY 1 ORDER BY 1",
    "SELECT extract(dow FROM tjrq) AS dow, avg(jzl) FROM zdkl_rtj "
    "WHERE tjrq BETWEEN DATE '2024-06-01' AND DATE '2024-06-30' GROUP BY 1",
    "SELECT xlmc, age(DATE '2024-06-30', ktrq) FROM xlxx WHERE ktrq IS NOT NULL",
    "SELECT to_char(tjrq, 'YYYY-MM-DD') AS rq, max(jzl) FROM zdkl_rtj GROUP BY tjrq",
    "SELECT xlmc FROM xlxx WHERE xlmc ILIKE '%号线'",
    "SELECT zdmc FROM dtzpt WHERE zdbh ILIKE 'zd02%'",
    "SELECT zdbh, jd::text, wd::float8, kyrq::text, ckgs::numeric(5, 1) FROM dtzpt",
    "SELECT sslx::text, sum(sl) FROM ssxx GROUP BY sslx",
    "SELECT count(*) FROM dtzpt;",
    "SELECT count(*) FROM xlxx; -- done",
    "-- 各线路站点数\nSELECT xlbh, count(*) /* 站点数 */ FROM dtzpt GROUP BY xlbh",
    'SELECT zdmc AS "站名", ckgs AS "出口个数" FROM dtzpt WHERE zdmc = \'沈塘桥\'',
    "SELECT x.xlmc, x.yyzt FROM xlxx x WHERE x.yyzt IN ('运营中', '在建')",
    "SELECT zdmc, xlmc, rjkl FROM v_zdrjkl ORDER BY rjkl DESC LIMIT 5",
    "SELECT current_setting('TimeZone') AS tz",
    "SELECT current_setting('TimeZone') AS tz, now() AT TIME ZONE 'Asia/Shanghai' AS t",
    "SELECT public.dtzpt.zdmc FROM public.dtzpt WHERE public.dtzpt.sfhcz",
    "SELECT coalesce(ktrq::text, '未开通') AS ktrq, "
    "CASE WHEN xlcd > 30 THEN '长' ELSE '短' END AS cd FROM xlxx",
    "SELECT string_agg(zdmc, '、' ORDER BY zdxh) FROM dtzpt WHERE xlbh = 'L03'",
    "SELECT zdbh, hcl FROM zdkl_rtj WHERE hcl > 0 AND tjrq = DATE '2024-06-08'",
    "SELECT * FROM unnest(ARRAY['L01', 'L02']) AS u(xlbh) JOIN xlxx USING (xlbh)",
    "SELECT xzq, count(*) FILTER (WHERE sfhcz) AS hcz, count(*) FROM dtzpt GROUP BY xzq",
]
